/**
 * Virtio network device (virtio 1.2 §5.1; Linux include/uapi/linux/virtio_net.h): feature bits,
 * the device configuration layout and struct virtio_net_hdr.
 */
export const VIRTIO_NET_F_CSUM = 0;
export const VIRTIO_NET_F_GUEST_CSUM = 1;
export const VIRTIO_NET_F_CTRL_GUEST_OFFLOADS = 2;
export const VIRTIO_NET_F_MTU = 3;
export const VIRTIO_NET_F_MAC = 5;
export const VIRTIO_NET_F_GUEST_TSO4 = 7;
export const VIRTIO_NET_F_HOST_TSO4 = 11;
export const VIRTIO_NET_F_MRG_RXBUF = 15;
export const VIRTIO_NET_F_STATUS = 16;
export const VIRTIO_NET_F_CTRL_VQ = 17;
export const VIRTIO_NET_F_CTRL_RX = 18;
export const VIRTIO_NET_F_MQ = 22;

/** struct virtio_net_config offsets. */
export const VIRTIO_NET_CFG_MAC = 0;
export const VIRTIO_NET_CFG_STATUS = 6;
export const VIRTIO_NET_CFG_MAX_VQ_PAIRS = 8;
/** config.status bits. */
export const VIRTIO_NET_S_LINK_UP = 1;
export const VIRTIO_NET_S_ANNOUNCE = 2;

/** struct virtio_net_hdr (with num_buffers: 12 bytes, the modern header). */
export const VIRTIO_NET_HDR_FLAGS = 0;
export const VIRTIO_NET_HDR_GSO_TYPE = 1;
export const VIRTIO_NET_HDR_HDR_LEN = 2;
export const VIRTIO_NET_HDR_GSO_SIZE = 4;
export const VIRTIO_NET_HDR_CSUM_START = 6;
export const VIRTIO_NET_HDR_CSUM_OFFSET = 8;
export const VIRTIO_NET_HDR_NUM_BUFFERS = 10;
export const VIRTIO_NET_HDR_SIZE = 12;
/** struct virtio_net_hdr without num_buffers: what a legacy driver that did not take MRG_RXBUF uses. */
export const VIRTIO_NET_HDR_LEGACY_SIZE = 10;

export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
export const VIRTIO_NET_HDR_F_RSC_INFO = 4;
export const VIRTIO_NET_HDR_GSO_NONE = 0;

/** Virtqueue indices of the first queue pair. */
export const VIRTIO_NET_RXQ = 0;
export const VIRTIO_NET_TXQ = 1;

export const VIRTIO_NET_F_CTRL_RX_EXTRA = 20;
export const VIRTIO_NET_F_CTRL_MAC_ADDR = 23;

/** Control virtqueue (§5.1.6.5): {u8 class, u8 command, data…} readable, {u8 ack} writable. */
export const VIRTIO_NET_CTRL_Q = 2;
export const VIRTIO_NET_OK = 0;
export const VIRTIO_NET_ERR = 1;
export const VIRTIO_NET_CTRL_RX = 0;
export const VIRTIO_NET_CTRL_RX_PROMISC = 0;
export const VIRTIO_NET_CTRL_RX_ALLMULTI = 1;
export const VIRTIO_NET_CTRL_RX_ALLUNI = 2;
export const VIRTIO_NET_CTRL_RX_NOMULTI = 3;
export const VIRTIO_NET_CTRL_RX_NOUNI = 4;
export const VIRTIO_NET_CTRL_RX_NOBCAST = 5;
export const VIRTIO_NET_CTRL_MAC = 1;
export const VIRTIO_NET_CTRL_MAC_TABLE_SET = 0;
export const VIRTIO_NET_CTRL_MAC_ADDR_SET = 1;
