import { redirect } from "next/navigation";
import { landingFor } from "@/lib/areas";
import { requireSession } from "@/server/auth/guard";

export default async function Home() {
  const session = await requireSession();
  redirect(landingFor(session.user.roles));
}
