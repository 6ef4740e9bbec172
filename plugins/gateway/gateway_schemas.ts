import * as v from "valibot";

/** Request bodies of the gateway, validated at the edge. Data is UTF-8 text or base64 bytes. */

const data = {
  data: v.optional(v.nullable(v.pipe(v.string("data must be a string (UTF-8 text)"), v.maxLength(1 << 20)))),
  dataBase64: v.optional(v.pipe(v.string("dataBase64 must be a string"), v.regex(/^[A-Za-z0-9+/]*={0,2}$/, "dataBase64 is not base64"))),
};

const version = v.optional(v.pipe(v.number("version must be a number"), v.integer("version must be a whole number"), v.minValue(-1), v.maxValue(0x7fffffff)), -1);

export const AclSchema = v.array(
  v.object({
    perms: v.pipe(v.number("perms must be a number"), v.integer(), v.minValue(0), v.maxValue(31)),
    id: v.object({ scheme: v.pipe(v.string(), v.minLength(1)), id: v.string() }),
  }),
  "acl must be a list of { perms, id: { scheme, id } }",
);

export const CreateBody = v.strictObject({
  ...data,
  mode: v.optional(v.picklist([
    "PERSISTENT", "EPHEMERAL", "PERSISTENT_SEQUENTIAL", "EPHEMERAL_SEQUENTIAL", "CONTAINER", "PERSISTENT_WITH_TTL",
    "PERSISTENT_SEQUENTIAL_WITH_TTL",
  ], "mode must be a CreateMode name"), "PERSISTENT"),
  acl: v.optional(AclSchema),
  ttlMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});

export const SetDataBody = v.strictObject({ ...data, version });

export const SetAclBody = v.strictObject({ acl: AclSchema, version });

const MultiOp = v.variant("op", [
  v.strictObject({ op: v.literal("create"), path: v.string(), ...data, mode: CreateBody.entries.mode, acl: v.optional(AclSchema), ttlMs: CreateBody.entries.ttlMs }),
  v.strictObject({ op: v.literal("delete"), path: v.string(), version }),
  v.strictObject({ op: v.literal("setData"), path: v.string(), ...data, version }),
  v.strictObject({ op: v.literal("check"), path: v.string(), version }),
], "op must be create, delete, setData or check");

export const MultiBody = v.strictObject({ ops: v.pipe(v.array(MultiOp, "ops must be a list"), v.maxLength(1000, "at most 1000 ops")) });

export const SessionBody = v.strictObject({
  timeoutMs: v.optional(v.pipe(v.number("timeoutMs must be a number"), v.integer(), v.minValue(1), v.maxValue(24 * 3600 * 1000)), 30_000),
});
