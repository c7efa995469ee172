/** Everything at once while worker processes are killed with SIGKILL at random moments and started again. See docs/reliability.md. */
import { SCENARIOS, scenarioTest } from "./scenarios";

scenarioTest(SCENARIOS.s6);
