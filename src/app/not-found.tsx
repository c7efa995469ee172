import Link from "next/link";

export default function NotFound() {
  return (
    <main className="flex min-h-screen items-center justify-center bg-slate-100 px-4">
      <div className="max-w-md rounded-xl border border-slate-200 bg-white p-6 text-center shadow-sm">
        <h1 className="text-base font-semibold text-slate-900">Page not found</h1>
        <p className="mt-2 text-sm text-slate-600">There is no page at this address in Hourbridge.</p>
        <Link href="/" className="mt-4 inline-block text-sm font-medium text-brand-700 underline underline-offset-2">
          Go to your start page
        </Link>
      </div>
    </main>
  );
}
