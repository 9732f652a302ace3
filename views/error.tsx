import { Footer, Layout } from "./layout.tsx";

export interface ErrorPageProps {
  status: number;
  message: string;
}

export function ErrorPage({ status, message }: ErrorPageProps) {
  return (
    <Layout title={status === 404 ? "Not found" : "Error"}>
      <main class="center">
        <h1 class="error-code">{status}</h1>
        <p safe>{message}</p>
        <p>
          <a href="/">Back to oO</a>
        </p>
      </main>
      <Footer />
    </Layout>
  );
}
