import { Layout } from "./layout.tsx";

export interface ErrorPageProps {
  status: number;
  message: string;
}

export function ErrorPage({ status, message }: ErrorPageProps) {
  return (
    <Layout title={status === 404 ? "Not found" : "Error"}>
      <main class="center">
        <p class="error-code">{status}</p>
        <p safe>{message}</p>
        <p>
          <a href="/">Back to oO</a>
        </p>
      </main>
    </Layout>
  );
}
