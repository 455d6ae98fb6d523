/** Property value spellings shared by device types (QEMU's hw/core/qdev-properties.c). */

/** QEMU's bool property spellings (qapi_bool_parse). */
export const QEMU_BOOL: Readonly<Record<string, boolean>> = { on: true, yes: true, true: true, y: true, off: false, no: false, false: false, n: false };
