import { describeSessionStore } from "./store-contract";
import { MemorySessionStore } from "./memory";

describeSessionStore("memory", () => new MemorySessionStore());
