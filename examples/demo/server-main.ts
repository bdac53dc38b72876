import { mountDashboard, remoteBalancer } from "../../dashboard/index.js";

// The token is the server's default; `LB_EVENTS_TOKEN` on the server needs `?token=` here.
const token = new URLSearchParams(location.search).get("token") ?? "demo-token";
mountDashboard(remoteBalancer("/lb/events", { token }), document.getElementById("dashboard")!);
document.getElementById("burst")!.addEventListener("click", () => void fetch("/api/burst", { method: "POST" }));
document.documentElement.dataset.ready = "true";
