/** IOMMU mapping permissions (include/linux/iommu.h): what a device may do with a mapped page. */
export const IOMMU_READ = 1;
export const IOMMU_WRITE = 2;
