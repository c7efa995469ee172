/** Entries deleted in the source after posting, found by full walks. See docs/reliability.md. */
import { SCENARIOS, scenarioTest } from "./scenarios";

scenarioTest(SCENARIOS.s4);
