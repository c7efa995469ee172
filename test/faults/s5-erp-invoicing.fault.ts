/** The ERP invoices on its own schedule while edits, withdrawals and deletions arrive: refusals end as open finance exceptions. See docs/reliability.md. */
import { SCENARIOS, scenarioTest } from "./scenarios";

scenarioTest(SCENARIOS.s5);
