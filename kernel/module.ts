import { get_current } from "./sched/core.ts";
import { schedule_work, WorkStruct } from "./workqueue.ts";
import { EBUSY, EEXIST, EINVAL, ENOENT } from "../include/linux/errno.ts";
import type { ModuleIndex, ModuleInfo, ModuleParamType } from "../include/linux/module.ts";
import { DEFINE_PER_KERNEL, this_kernel } from "./kernel.ts";
import { KernelBug, oops } from "./panic.ts";
import { pr_debug, pr_err, pr_warn } from "./printk.ts";

/**
 * The module loader (kernel/module/main.c): load by name from the module index, run init, keep
 * reference counts (one per loaded module that depends on it, plus try_module_get holders), refuse
 * to remove a module that is in use, run exit on removal.
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
      pr_warn(`${name}: unknown parameter '${key}' ignored`);
      continue;
    }
    if (!param_parses(info.param_types?.[key] ?? "charp", val)) {
      pr_err(`${name}: \`${val}' invalid for parameter \`${key}'`);
      return fail(-EINVAL, "Invalid parameters");
    }
    known[key] = val;
  }
  params = known;
  const mod: LoadedModule = { info, size: entry.size, holders: new Set(), refcnt: 0, state: "coming" };
  st.loaded.set(name, mod);
  // If the task running init dies inside it (the soft-lockup detector kills a spinning init, an
  // oops unwinds it), the half-loaded module must not stay behind as "coming" forever.
  const self = get_current();
  const forget = (): void => {
    if (mod.state !== "coming" || st.loaded.get(name) !== mod) return;
    st.loaded.delete(name);
    // The half-run init may have registered things (a PCI driver, an IRQ handler, a timer) that
    // point into the module. Its exit() releases them, in process context, as a failed init would
    // have undone its own work.
    pr_err(`${name}: init was killed; running its exit to release what it registered`);
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
    pr_err(`${name}: module init failed with error ${ret}`);
    return fail(ret, `init failed with error ${ret}`);
  }
  for (const dep of info.depends ?? []) st.loaded.get(dep)?.holders.add(name);
  mod.state = "live";
  st.order.push(name);
  pr_debug(`${name}: loaded (${info.description})`);
  return 0;
}

/** kstrtoint(s, 0) and friends: optional sign, 0x hex, leading-0 octal or decimal, one trailing newline. */
function parse_kernel_int(val: string, signed: boolean): number | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\n?$/.exec(val);
  if (m === null || (m[1] === "-" && !signed)) return null;
  const body = m[2]!;
  const mag = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : body.length > 1 && body[0] === "0" ? parseInt(body, 8) : parseInt(body, 10);
  const v = m[1] === "-" ? -mag : mag;
  if (signed ? v < -0x80000000 || v > 0x7fffffff : v > 0xffffffff) return null;
  return v;
}

/** Would the kernel_param_ops of `type` accept `val`? */
export function param_parses(type: ModuleParamType, val: string): boolean {
  switch (type) {
    case "int":
      return parse_kernel_int(val, true) !== null;
    case "uint":
      return parse_kernel_int(val, false) !== null;
    case "bool":
      return /^(y|Y|n|N|1|0|on|off|true|false)\n?$/.test(val); // kstrtobool
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
  for (const dep of mod.info.depends ?? []) st.loaded.get(dep)?.holders.delete(name);
  pr_debug(`${name}: unloaded`);
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
