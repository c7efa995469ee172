import Link from "next/link";
import { ShieldAlert } from "lucide-react";
import { EmptyState } from "@/components/ui/empty-state";

export function Forbidden({ areaLabel, allowed, home }: { areaLabel: string; allowed: string[]; home: string }) {
  return (
    <EmptyState icon={ShieldAlert} title={`You do not have access to ${areaLabel}`}>
      <p>
        {areaLabel} is open to: {allowed.join(", ")}. If you need it, ask an admin to change your roles.
      </p>
      <p className="mt-3">
        <Link href={home} className="font-medium text-brand-700 underline underline-offset-2">
          Go to your start page
        </Link>
      </p>
    </EmptyState>
  );
}
