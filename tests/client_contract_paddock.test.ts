// The same client contract against Paddock's server.
import { defineClientContract } from "./client_contract.ts";
import { paddockAvailable, startPaddock } from "./support/servers.ts";

defineClientContract({
  name: "paddock",
  skip: paddockAvailable() ? false : "Paddock server entry point plugins/main.ts does not exist yet",
  start: startPaddock,
});
