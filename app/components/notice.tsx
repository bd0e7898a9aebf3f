import type { ReactNode } from "react";

/** The flash message of the previous request, shown once. */
export function Notice({ children }: { children: ReactNode }) {
  return (
    <p
      role="status"
      data-testid="notice"
      className="mb-6 rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100"
    >
      {children}
    </p>
  );
}
