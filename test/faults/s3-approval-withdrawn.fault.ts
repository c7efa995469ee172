/** Approval withdrawn after posting and given again later; approval withdrawn before posting (during an ERP outage). See docs/reliability.md. */
import { SCENARIOS, scenarioTest } from "./scenarios";

scenarioTest(SCENARIOS.s3);
