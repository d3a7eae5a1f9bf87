// Entry point of the server bundle. Transport comes from the command line:
// `--stdio` for editors in general, `--node-ipc` when VS Code starts it.
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { startServer } from "./server";

startServer(createConnection(ProposedFeatures.all));
