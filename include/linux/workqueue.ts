/** Workqueue flags (include/linux/workqueue.h). */
export const WQ_UNBOUND = 1 << 1;
export const WQ_FREEZABLE = 1 << 2;
export const WQ_MEM_RECLAIM = 1 << 3;
export const WQ_HIGHPRI = 1 << 4;
/** Maximum max_active (WQ_MAX_ACTIVE). */
export const WQ_MAX_ACTIVE = 512;
