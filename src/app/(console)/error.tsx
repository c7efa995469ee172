"use client";

import { AlertOctagon } from "lucide-react";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";

export default function ConsoleError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <EmptyState icon={AlertOctagon} title="This page could not be shown">
      <p>{error.message || "Something went wrong on our side."}</p>
      {error.digest && <p className="mt-1 text-xs text-slate-500">Reference {error.digest}</p>}
      <Button className="mt-4" variant="secondary" onClick={reset}>
        Try again
      </Button>
    </EmptyState>
  );
}
