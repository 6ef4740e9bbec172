import process from "node:process";
import * as v from "valibot";
import { ServiceRegistry, watchOwnership } from "../../recipes/mod.ts";
import { bounded, settleWithin } from "../cli/bounded.ts";
import { FlagKind, parseArgv } from "../cli/argv.ts";
import { defineCommand, interruptSignal } from "../cli/command.ts";
import { connectionFlags, connectionHelp, connectionOptions, openClient } from "../cli/connection.ts";
import { EXIT_OWNERSHIP_LOST, KILL_GRACE_DEFAULT_MS, runWhileHeld } from "../cli/held_command.ts";
import { intFlag, msFlag, parseWith } from "../cli/schemas.ts";
import { UsageError } from "../cli/usage_error.ts";

const usage = `Usage: paddock registry register NAME --address A --port P [--id ID] [--payload JSON] [options] [-- CMD [ARGS...]]
       paddock registry list NAME [options]
       paddock registry names [options]

Service discovery in Curator's ServiceDiscovery layout (<base-path>/NAME/ID holding the
ServiceInstance JSON), so Curator and Paddock clients see each other's services.
register adds an ephemeral instance and keeps it while paddock runs: until SIGINT/SIGTERM,
or while CMD runs (exiting with CMD's code). Should the session expire, the instance is gone:
CMD is stopped and paddock exits ${EXIT_OWNERSHIP_LOST}. CMD gets PADDOCK_SERVICE_NAME and PADDOCK_SERVICE_ID.
list prints the instances of NAME as a JSON array (sorted by id); names prints every service name.

Options:
  --address A              the instance's address (host name or IP)
  --port P                 the instance's port
  --id ID                  the instance id (default: a random UUID)
  --payload JSON           any JSON value stored with the instance
  --base-path PATH         where services live (default /services)
  --grace MS               time between SIGTERM and SIGKILL when CMD must stop (default ${KILL_GRACE_DEFAULT_MS})

${connectionHelp}

Examples:
  paddock registry register api --address 10.0.0.7 --port 8080 -- ./api-server
  paddock registry list api | jq -r '.[] | "\\(.address):\\(.port)"'`;

const flags = {
  ...connectionFlags,
  address: FlagKind.value,
  port: FlagKind.value,
  id: FlagKind.value,
  payload: FlagKind.value,
  "base-path": FlagKind.value,
  grace: FlagKind.value,
};

const registerSchema = v.object({
  name: v.pipe(v.string("missing NAME"), v.regex(/^[^/]+$/, "NAME must not contain /")),
  address: v.string("missing --address"),
  port: intFlag("--port", { min: 0, max: 65535 }),
  id: v.optional(v.pipe(v.string(), v.regex(/^[^/]+$/, "--id must not contain /"))),
  payload: v.optional(v.pipe(v.string(), v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      return JSON.parse(dataset.value) as unknown;
    } catch {
      addIssue({ message: "--payload must be JSON" });
      return NEVER;
    }
  }))),
  grace: v.optional(msFlag("--grace"), String(KILL_GRACE_DEFAULT_MS)),
});

/** `paddock registry`: register a service instance, list instances. */
export const registryCommand = defineCommand({
  name: "registry",
  summary: "register a service instance while running (or while a command runs); list instances",
  usage,
  async run(args) {
    const parsed = parseArgv(args, flags);
    const [action, name, ...rest] = parsed.positionals;
    if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}`);
    const basePath = typeof parsed.flags["base-path"] === "string" ? parsed.flags["base-path"] : undefined;
    if (action === "list" || action === "names") {
      if (action === "list" && name === undefined) throw new UsageError("missing NAME");
      const conn = connectionOptions(parsed.flags);
      await using client = bounded(await openClient(conn));
      await using registry = bounded(new ServiceRegistry(client, { basePath }));
      await registry.start();
      const out = action === "list" ? await registry.queryForInstances(name!) : await registry.queryForNames();
      process.stdout.write(JSON.stringify(out) + "\n");
      return 0;
    }
    if (action !== "register") throw new UsageError(`unknown action ${action ?? "(none)"}: register, list or names`);
    const opts = parseWith(registerSchema, { name, ...parsed.flags });
    const conn = connectionOptions(parsed.flags);
    // Listening before "registered" is printed: whoever reacts to that line may stop us at once.
    const interrupt = parsed.command.length === 0 ? interruptSignal() : undefined;
    await using client = bounded(await openClient(conn));
    await using registry = bounded(new ServiceRegistry(client, { basePath }));
    await registry.start();
    const instance = await registry.register({ name: opts.name, id: opts.id, address: opts.address, port: opts.port, payload: opts.payload });
    process.stderr.write(`paddock registry: registered ${instance.name}/${instance.id} at ${opts.address}:${opts.port}\n`);
    // Only expiry loses an ephemeral node: trust a disconnected session for its whole timeout.
    const ownership = watchOwnership(client, { suspendedGraceMs: client.negotiatedTimeoutMs });
    try {
      if (parsed.command.length > 0) {
        return await runWhileHeld({
          label: "paddock registry",
          argv: parsed.command,
          env: { PADDOCK_SERVICE_NAME: instance.name, PADDOCK_SERVICE_ID: instance.id },
          ownership: ownership.signal,
          what: `registration ${instance.name}/${instance.id}`,
          graceMs: opts.grace,
        });
      }
      return await untilInterruptedOrLost(interrupt!.signal, ownership.signal, `${instance.name}/${instance.id}`);
    } finally {
      interrupt?.dispose();
      ownership.stop();
      await settleWithin(registry.unregister(instance));
    }
  },
});

async function untilInterruptedOrLost(interrupt: AbortSignal, ownership: AbortSignal, what: string): Promise<number> {
  const any = AbortSignal.any([interrupt, ownership]);
  await new Promise<void>((resolve) => {
    if (any.aborted) resolve();
    else any.addEventListener("abort", () => resolve(), { once: true });
  });
  if (interrupt.aborted) return 0;
  process.stderr.write(`paddock registry: registration ${what} lost (${(ownership.reason as Error)?.message})\n`);
  return EXIT_OWNERSHIP_LOST;
}
