/**
 * The initramfs's data files (init/initramfs.c's unpack_to_rootfs, reduced): besides the programs in
 * /bin, the boot loader hands the kernel a set of files — path → contents — that are written into
 * the root tmpfs before init runs, directories made as needed (0755), files 0644. What ringzero's
 * boot puts there: /lib/modules/RELEASE/modules.alias (kmod's format, from the module index) and
 * /usr/share/misc/pci.ids (the names of the device types the machine knows), so modprobe-style
 * lookups and lspci read the same files as on a Linux system.
 */
import { EINVAL, ENOTDIR } from "../../include/linux/errno.ts";
import { O_WRONLY } from "../../include/uapi/fcntl.ts";
import { S_ISDIR } from "../../include/uapi/stat.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";
import { pr_err } from "../printk.ts";
import type { Dentry } from "./dcache.ts";
import { File, FMODE_WRITE, fput } from "./file.ts";

const initramfs_files = DEFINE_PER_KERNEL(() => new Map<string, string | Uint8Array>());

/** The boot loader's files (start_kernel calls this before the root file system is made). */
export function set_initramfs_files(files: ReadonlyMap<string, string | Uint8Array>): void {
  const m = initramfs_files.get();
  m.clear();
  for (const [k, v] of files) m.set(k, v);
}

/** The entry `name` in `dir`, made a directory if it is not there. */
function subdir(dir: Dentry, name: string): Dentry | number {
  const found = dir.d_inode.i_op.lookup?.(dir, name) ?? null;
  if (found !== null) return S_ISDIR(found.d_inode.i_mode) ? found : -ENOTDIR;
  return dir.d_inode.i_op.mkdir!(dir, name, 0o755);
}

/** unpack_to_rootfs(): write every file under `root`. A file that cannot be made is reported and skipped. */
export function unpack_to_rootfs(root: Dentry): void {
  for (const [path, data] of initramfs_files.get()) {
    const parts = path.split("/").filter((p) => p !== "");
    const name = parts.pop();
    let dir: Dentry | number = root;
    for (const p of parts) {
      if (typeof dir === "number") break;
      dir = subdir(dir, p);
    }
    const d = typeof dir === "number" ? dir : name === undefined ? -EINVAL : dir.d_inode.i_op.create!(dir, name, 0o644);
    if (typeof d === "number") {
      pr_err("Initramfs unpacking failed: %s: error %d\n", path, d);
      continue;
    }
    const f = new File(null, d.d_inode, d.d_inode.i_fop, FMODE_WRITE, O_WRONLY);
    void f.f_op.write!(f, typeof data === "string" ? new TextEncoder().encode(data) : data);
    fput(f);
  }
}
