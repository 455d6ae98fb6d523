/**
 * A loadable module (include/linux/module.h): a TypeScript module whose default export is a
 * ModuleInfo. init() runs in process context when it is loaded and returns 0 or a negative errno
 * (after undoing its own work); exit() undoes init() when it is removed.
 */
export interface ModuleInfo {
  readonly name: string;
  readonly description: string;
  readonly license: string;
  readonly author?: string;
  /** Modules whose symbols this one uses: they must be loaded first and cannot leave while it is loaded. */
  readonly depends?: readonly string[];
  /** Parameters accepted as name=value on insmod (name → description). */
  readonly params?: Readonly<Record<string, string>>;
  /**
   * How the loader parses each parameter before init sees it (module_param's type: the
   * kernel_param_ops that parse_args calls). A value that does not parse fails the load with
   * -EINVAL and "`VALUE' invalid for parameter `NAME'". Parameters not listed are "charp".
   */
  readonly param_types?: Readonly<Record<string, ModuleParamType>>;
  init(params: Readonly<Record<string, string>>): Promise<number> | number;
  exit(): Promise<void> | void;
}

/** module_param types (param_ops_int, param_ops_uint, param_ops_bool, param_ops_charp). */
export type ModuleParamType = "int" | "uint" | "bool" | "charp";

/** Where loadable modules come from (the /lib/modules of this kernel): name → loader + code size. */
export interface ModuleIndexEntry {
  readonly load: () => Promise<ModuleInfo>;
  /** Bytes of the module's source, shown as lsmod's Size. */
  readonly size: number;
}
export type ModuleIndex = ReadonlyMap<string, ModuleIndexEntry>;
