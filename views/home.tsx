import { Footer, Layout } from "./layout.tsx";

export function HomePage() {
  return (
    <Layout>
      <main class="center">
        <p class="mark" aria-label="oO">
          o<b>O</b>
        </p>
        <p>One tip. Right now.</p>
        <p class="dim">This instance is running.</p>
      </main>
      <Footer />
    </Layout>
  );
}
