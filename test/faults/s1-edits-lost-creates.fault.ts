/** Source edits (hours, project, task) arriving while the ERP's answers to creates are lost, with 5xx bursts. See docs/reliability.md. */
import { SCENARIOS, scenarioTest } from "./scenarios";

scenarioTest(SCENARIOS.s1);
