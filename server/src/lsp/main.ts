// Entry point of the server bundle. Transport comes from the command line:
// `--stdio` for editors in general, `--node-ipc` when VS Code starts it.
import { join } from "node:path";
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { requestGuard } from "./request-guard";
import { startServer } from "./server";

// The compute worker is bundled beside the server.
startServer(createConnection(ProposedFeatures.all, { messageStrategy: requestGuard() }), join(__dirname, "worker.js"));
