import { area, landingFor, type AreaKey } from "@/lib/areas";
import { ROLE_LABELS } from "@/server/auth/roles";
import { sessionForArea } from "@/server/auth/guard";
import { Forbidden } from "./forbidden";

/** Renders the page only for roles that may open the area; others see why not. */
export async function AreaGate({ area: key, children }: { area: AreaKey; children: React.ReactNode }) {
  const { session, allowed } = await sessionForArea(key);
  if (!allowed) {
    const a = area(key);
    return <Forbidden areaLabel={a.label} allowed={a.roles.map((r) => ROLE_LABELS[r])} home={landingFor(session.user.roles)} />;
  }
  return <>{children}</>;
}
