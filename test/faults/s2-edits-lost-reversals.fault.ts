/** Source edits arriving while the ERP's answers to reversals are lost. See docs/reliability.md. */
import { SCENARIOS, scenarioTest } from "./scenarios";

scenarioTest(SCENARIOS.s2);
