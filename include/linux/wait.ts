/**
 * The shape of a wait queue as headers see it (the kernel's WaitQueueHead satisfies it). Lets
 * structures declared in include/ hold one without importing kernel code.
 */
export interface WaitQueueHeadLike {
  readonly name: string;
}
