/**
 * enum dma_data_direction (include/linux/dma-direction.h): which way the bytes of a streaming DMA
 * mapping move. The values are Linux's.
 */
export const DMA_BIDIRECTIONAL = 0;
/** The device reads the buffer (a frame to transmit). */
export const DMA_TO_DEVICE = 1;
/** The device writes the buffer (a receive buffer). */
export const DMA_FROM_DEVICE = 2;
export const DMA_NONE = 3;

/** As dma-debug names them: "DMA_BIDIRECTIONAL", "DMA_TO_DEVICE", … */
export const DMA_DIR_NAME: readonly string[] = ["DMA_BIDIRECTIONAL", "DMA_TO_DEVICE", "DMA_FROM_DEVICE", "DMA_NONE"];

export function valid_dma_direction(dir: number): boolean {
  return dir === DMA_BIDIRECTIONAL || dir === DMA_TO_DEVICE || dir === DMA_FROM_DEVICE;
}
