/**
 * Facts about the process and its disks that `envi`, `conf`, `dirs` and `mntr` report. The core
 * is sans-I/O, so the entry point injects them (core/io/node_host_info.ts reads /proc, os and fs);
 * embedded servers, tests and the simulator use {@link staticHostInfo}.
 */
export interface HostInfo {
  /** `envi` lines after `zookeeper.version`, in ZooKeeper's key order (host.name, java.version, ...). */
  environment(): readonly (readonly [string, string])[];
  /** Open and maximum file descriptors, or null where the platform does not tell (no /proc). */
  fileDescriptors(): { open: number; max: number } | null;
  /** The directories snapshots and logs live in (absolute) and the bytes of the files in them. */
  storage(): HostStorage;
}

/** What `conf` and `dirs` say about storage. */
export interface HostStorage {
  dataDir: string;
  dataLogDir: string;
  dataDirBytes: number;
  dataLogDirBytes: number;
}

/**
 * Host info for an embedded or simulated server: nothing measured, directories as configured.
 *
 * @example new ZkServer({ config, store, clock, host: staticHostInfo(config) })
 */
export function staticHostInfo(dirs: { dataDir: string; dataLogDir: string }): HostInfo {
  return {
    environment: () => [],
    fileDescriptors: () => null,
    storage: () => ({ ...dirs, dataDirBytes: 0, dataLogDirBytes: 0 }),
  };
}
