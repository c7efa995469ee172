import { paramReader, type SearchParamsLike } from "@/lib/search-params";

export { isSourceApprovalClass, NOT_CHECKED, VARIANCE_CLASSES, VARIANCE_TEXT, type VarianceClass as VarianceClassKey } from "@/server/services/reconciliation/classes";
import { VARIANCE_CLASSES, type VarianceClass as VarianceClassKey } from "@/server/services/reconciliation/classes";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The page's state in the URL: entity, period, run, variance class, breakdown, comparison. */
export function reconciliationParams(params: SearchParamsLike) {
  const get = paramReader(params);
  const run = get("run");
  const cls = get("class");
  const project = get("project");
  const person = get("person");
  const compare = get("compare");
  return {
    entity: get("entity"),
    period: get("period"),
    run: run && UUID.test(run) ? run : undefined,
    varianceClass: (VARIANCE_CLASSES as readonly string[]).includes(cls ?? "") ? (cls as VarianceClassKey) : undefined,
    project: project && UUID.test(project) ? project : undefined,
    person: person && UUID.test(person) ? person : undefined,
    dim: get("dim") === "person" ? ("person" as const) : ("project" as const),
    compare: compare && UUID.test(compare) ? compare : undefined,
  };
}
