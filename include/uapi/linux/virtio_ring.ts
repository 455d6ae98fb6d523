/**
 * Split virtqueue layout (virtio 1.2 §2.7; Linux include/uapi/linux/virtio_ring.h). All fields are
 * little-endian. For a queue of `num` entries (a power of 2, at most 32768):
 *
 *   descriptor table (align 16): num × 16 bytes: addr u64 +0, len u32 +8, flags u16 +12, next u16 +14
 *   available ring  (align 2):   flags u16 +0, idx u16 +2, ring[num] u16 +4, used_event u16 +4+2·num
 *   used ring       (align 4):   flags u16 +0, idx u16 +2, ring[num] {id u32, len u32} +4,
 *                                avail_event u16 +4+8·num
 *
 * used_event / avail_event exist only with VIRTIO_RING_F_EVENT_IDX. Indices are free-running u16.
 */
export const VRING_DESC_F_NEXT = 1;
export const VRING_DESC_F_WRITE = 2;
export const VRING_DESC_F_INDIRECT = 4;

/** used.flags: the device does not need doorbells (without EVENT_IDX). */
export const VRING_USED_F_NO_NOTIFY = 1;
/** avail.flags: the driver does not need used-buffer interrupts (without EVENT_IDX). */
export const VRING_AVAIL_F_NO_INTERRUPT = 1;

export const VRING_DESC_SIZE = 16;
export const VRING_USED_ELEM_SIZE = 8;
export const VRING_DESC_ALIGN = 16;
export const VRING_AVAIL_ALIGN = 2;
export const VRING_USED_ALIGN = 4;

/** Offsets inside the available and used rings. */
export const VRING_AVAIL_FLAGS = 0;
export const VRING_AVAIL_IDX = 2;
export const VRING_AVAIL_RING = 4;
export const VRING_USED_FLAGS = 0;
export const VRING_USED_IDX = 2;
export const VRING_USED_RING = 4;

/** Offset of used_event in the available ring of a `num`-entry queue. */
export const vring_used_event_off = (num: number): number => VRING_AVAIL_RING + 2 * num;
/** Offset of avail_event in the used ring of a `num`-entry queue. */
export const vring_avail_event_off = (num: number): number => VRING_USED_RING + VRING_USED_ELEM_SIZE * num;

/**
 * vring_need_event(event_idx, new_idx, old): true iff `event_idx` lies in [old, new) modulo 2^16 —
 * the other side asked to be told once the index passes event_idx, and this update passed it.
 */
export function vring_need_event(event_idx: number, new_idx: number, old: number): boolean {
  return ((new_idx - event_idx - 1) & 0xffff) < ((new_idx - old) & 0xffff);
}
