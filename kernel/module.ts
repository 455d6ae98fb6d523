import { get_current } from "./sched/core.ts";
import { schedule_work, WorkStruct } from "./workqueue.ts";
import { EBUSY, EEXIST, EINVAL, ENOENT, EPERM } from "../include/linux/errno.ts";
import type { ModuleIndex, ModuleInfo, ModuleParamType } from "../include/linux/module.ts";
import { kernfs_create, kernfs_create_link, kernfs_remove } from "./fs/kernfs.ts";
import { DEFINE_PER_KERNEL, this_kernel } from "./kernel.ts";
import { KernelBug, oops } from "./panic.ts";
import { kstrtobool, kstrtoint, type KernelParamOps } from "./params.ts";
import { pr_debug, pr_err, pr_warn } from "./printk.ts";

/**
 * The module loader (kernel/module/main.c): load by name from the module index, run init, keep
 * reference counts (one per loaded module that depends on it, plus try_module_get holders), refuse
 * to remove a module that is in use, run exit on removal.
 *
 * Each loaded module has its directory /sys/module/NAME (kernel/module/sysfs.c, kernel/params.c):
 * coresize, initstate (coming, live, going), refcnt, taint, uevent, holders/ (a link per module
 * that depends on it) and parameters/ with the parameters the module exposes through
 * module_param_sysfs() (module_param with a non-zero perm).
 */
export interface LoadedModule {
  readonly info: ModuleInfo;
  readonly size: number;
  /** Loaded modules that depend on this one. */
  readonly holders: Set<string>;
  /** References from try_module_get(). */
  refcnt: number;
  state: "coming" | "live" | "going";
}

class ModuleState {
  index: ModuleIndex = new Map();
  readonly loaded = new Map<string, LoadedModule>();
  /** Load order, newest last (lsmod prints newest first, as Linux does). */
  readonly order: string[] = [];
  /** Why the last failed operation failed, for the error message userland prints. */
  last_error = "";
}
const modules = DEFINE_PER_KERNEL(() => new ModuleState());

export function set_module_index(index: ModuleIndex): void {
  modules.get().index = index;
}

export function module_index_names(): string[] {
  return [...modules.get().index.keys()].sort();
}

export function find_module(name: string): LoadedModule | undefined {
  return modules.get().loaded.get(name);
}

/** Explanation of the last failure (e.g. "in use by: e1000"). */
export function module_last_error(): string {
  return modules.get().last_error;
}

function fail(err: number, why: string): number {
  modules.get().last_error = why;
  return err;
}

/**
 * init_module by name: load `name`, which needs its dependencies loaded already (insmod); with
 * `load_deps` they are loaded first (modprobe). Returns 0 or a negative errno; on failure
 * module_last_error() says why.
 */
/**
 * `NAME.param=value` words of the kernel command line for module NAME, as modprobe adds them
 * (kmod reads /proc/cmdline); parameters given to the load itself win.
 */
function cmdline_params(name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const word of this_kernel().platform.firmware.cmdline.split(/\s+/)) {
    const eq = word.indexOf("=");
    const dot = word.indexOf(".");
    if (dot <= 0 || eq < dot || word.slice(0, dot).replace(/-/g, "_") !== name) continue;
    out[word.slice(dot + 1, eq)] = word.slice(eq + 1);
  }
  return out;
}

/** /sys/module/NAME. */
function module_sysfs_path(name: string): string {
  return `/sys/module/${name}`;
}

/** mod_sysfs_setup(): the module's directory, made when it starts loading (before init runs). */
function mod_sysfs_setup(mod: LoadedModule): void {
  const base = module_sysfs_path(mod.info.name);
  kernfs_create(`${base}/coresize`, { show: () => `${mod.size}\n` });
  kernfs_create(`${base}/initstate`, { show: () => `${mod.state}\n` });
  kernfs_create(`${base}/refcnt`, { show: () => `${module_refcount(mod)}\n` });
  kernfs_create(`${base}/taint`, { show: () => "\n" });
  kernfs_create(`${base}/uevent`, { store: (data) => data.length });
}

/** A module that depends on `dep` is live: /sys/module/DEP/holders/NAME → ../../NAME. */
function sysfs_add_holder(dep: string, holder: string): void {
  kernfs_create_link(`${module_sysfs_path(dep)}/holders/${holder}`, `../../${holder}`);
}

/**
 * module_param_cb() with a perm, at run time: show parameter `param` of loaded module `module` as
 * /sys/module/MODULE/parameters/PARAM, read through ops.get, written through ops.set when `perm`
 * has write bits (module_param(copybreak, uint, 0644)). perm 0 makes no file, as Linux's. The file
 * goes with the module. Returns 0, -ENOENT when the module is not loaded (or loading), -EINVAL for
 * a name with a slash.
 *
 * The file's mode is what kernfs gives an attribute with a show and a store (0644) or a show
 * only (0444): finer perms such as 0600 are not kept.
 */
export function module_param_sysfs(module: string, param: string, perm: number, ops: KernelParamOps): number {
  if (!modules.get().loaded.has(module)) return -ENOENT;
  if (param === "" || param.includes("/")) return -EINVAL;
  if ((perm & 0o777) === 0) return 0;
  const set = ops.set;
  kernfs_create(`${module_sysfs_path(module)}/parameters/${param}`, {
    show: (perm & 0o444) !== 0 ? () => ops.get() : undefined,
    store:
      (perm & 0o222) !== 0
        ? (data) => {
            // param_attr_store: no set is -EPERM; set's error, or the whole write consumed.
            if (set === undefined) return -EPERM;
            const r = set(data);
            return r < 0 ? r : data.length;
          }
        : undefined,
  });
  return 0;
}

export async function load_module(name: string, params: Record<string, string> = {}, load_deps = false): Promise<number> {
  const st = modules.get();
  st.last_error = "";
  if (st.loaded.has(name)) return fail(-EEXIST, "Module already loaded");
  const entry = st.index.get(name);
  if (entry === undefined) return fail(-ENOENT, `Module ${name} not found in the module index`);
  let info: ModuleInfo;
  try {
    info = await entry.load();
  } catch (e) {
    oops(`BUG: loading module ${name} failed`, e);
    return fail(-EINVAL, "Invalid module format");
  }
  for (const dep of info.depends ?? []) {
    if (st.loaded.has(dep)) continue;
    if (!load_deps) return fail(-ENOENT, `Unknown symbol in module: it needs ${dep}, which is not loaded (modprobe loads dependencies)`);
    const r = await load_module(dep, {}, true);
    if (r !== 0 && r !== -EEXIST) return r;
  }
  // parse_args(): each name=value goes to the parameter's parser. A value that does not parse
  // fails the load (-EINVAL, "Invalid parameters"); an unknown name is reported and ignored, as
  // load_module's unknown_module_param_cb does.
  const known: Record<string, string> = {};
  for (const [key, val] of Object.entries({ ...cmdline_params(name), ...params })) {
    if (info.params === undefined || !(key in info.params)) {
      pr_warn("%s: unknown parameter '%s' ignored\n", name, key);
      continue;
    }
    if (!param_parses(info.param_types?.[key] ?? "charp", val)) {
      pr_err("%s: `%s' invalid for parameter `%s'\n", name, val, key);
      return fail(-EINVAL, "Invalid parameters");
    }
    known[key] = val;
  }
  params = known;
  const mod: LoadedModule = { info, size: entry.size, holders: new Set(), refcnt: 0, state: "coming" };
  st.loaded.set(name, mod);
  mod_sysfs_setup(mod);
  // If the task running init dies inside it (the soft-lockup detector kills a spinning init, an
  // oops unwinds it), the half-loaded module must not stay behind as "coming" forever.
  const self = get_current();
  const forget = (): void => {
    if (mod.state !== "coming" || st.loaded.get(name) !== mod) return;
    st.loaded.delete(name);
    kernfs_remove(module_sysfs_path(name));
    // The half-run init may have registered things (a PCI driver, an IRQ handler, a timer) that
    // point into the module. Its exit() releases them, in process context, as a failed init would
    // have undone its own work.
    pr_err("%s: init was killed; running its exit to release what it registered\n", name);
    schedule_work(
      new WorkStruct(async () => {
        try {
          await info.exit();
        } catch (e) {
          if (!(e instanceof KernelBug)) oops(`BUG: exception in exit of module ${name}`, e);
        }
      }),
    );
  };
  self?.on_exit.push(forget);
  let ret: number;
  try {
    ret = await info.init(params);
  } catch (e) {
    if (e instanceof KernelBug) {
      // A BUG or a lockup in init kills insmod, as an oops in init does in Linux.
      forget();
      throw e;
    }
    oops(`BUG: exception in init of module ${name}`, e);
    ret = -EINVAL;
  } finally {
    const i = self?.on_exit.indexOf(forget) ?? -1;
    if (i >= 0) self!.on_exit.splice(i, 1);
  }
  if (ret !== 0) {
    st.loaded.delete(name);
    kernfs_remove(module_sysfs_path(name));
    pr_err("%s: module init failed with error %d\n", name, ret);
    return fail(ret, `init failed with error ${ret}`);
  }
  for (const dep of info.depends ?? []) {
    const d = st.loaded.get(dep);
    if (d === undefined) continue;
    d.holders.add(name);
    sysfs_add_holder(dep, name);
  }
  mod.state = "live";
  st.order.push(name);
  pr_debug("%s: loaded (%s)\n", name, info.description);
  return 0;
}

/** Would the kernel_param_ops of `type` accept `val`? */
export function param_parses(type: ModuleParamType, val: string): boolean {
  switch (type) {
    case "int":
      return kstrtoint(val, true) !== null;
    case "uint":
      return kstrtoint(val, false) !== null;
    case "bool":
      return kstrtobool(val) !== null;
    case "charp":
      return true;
  }
}

/** delete_module: run exit and unload. -EBUSY (and why) while other modules or users hold it. */
export async function unload_module(name: string): Promise<number> {
  const st = modules.get();
  st.last_error = "";
  const mod = st.loaded.get(name);
  if (mod === undefined) return fail(-ENOENT, `Module ${name} is not currently loaded`);
  if (mod.holders.size > 0) return fail(-EBUSY, `Module ${name} is in use by: ${[...mod.holders].join(" ")}`);
  if (mod.refcnt > 0) return fail(-EBUSY, `Module ${name} is in use`);
  mod.state = "going";
  try {
    await mod.info.exit();
  } catch (e) {
    if (!(e instanceof KernelBug)) oops(`BUG: exception in exit of module ${name}`, e);
  }
  st.loaded.delete(name);
  st.order.splice(st.order.indexOf(name), 1);
  kernfs_remove(module_sysfs_path(name));
  for (const dep of mod.info.depends ?? []) {
    st.loaded.get(dep)?.holders.delete(name);
    kernfs_remove(`${module_sysfs_path(dep)}/holders/${name}`);
  }
  pr_debug("%s: unloaded\n", name);
  return 0;
}

/** try_module_get(): take a reference (false if the module is going away or absent). */
export function try_module_get(name: string): boolean {
  const mod = modules.get().loaded.get(name);
  if (mod === undefined || mod.state === "going") return false;
  mod.refcnt++;
  return true;
}

export function module_put(name: string): void {
  const mod = modules.get().loaded.get(name);
  if (mod !== undefined && mod.refcnt > 0) mod.refcnt--;
}

export function module_refcount(mod: LoadedModule): number {
  return mod.holders.size + mod.refcnt;
}

/** Loaded modules, newest first. */
export function loaded_modules(): LoadedModule[] {
  const st = modules.get();
  return [...st.order].reverse().map((n) => st.loaded.get(n)!);
}

/** /proc/modules: "name size refcount holders, state address". */
export function show_modules(): string {
  let out = "";
  for (const m of loaded_modules()) {
    const holders = m.holders.size === 0 ? "-" : [...m.holders].join(",") + ",";
    out += `${m.info.name} ${m.size} ${module_refcount(m)} ${holders} ${m.state === "live" ? "Live" : m.state === "coming" ? "Loading" : "Unloading"} 0x0000000000000000\n`;
  }
  return out;
}
