import { mountDashboard, remoteBalancer } from "../../../dashboard/index.ts";

// The page of the remote dashboard e2e test: the dashboard of the balancer behind `/events`.
const token = new URLSearchParams(location.search).get("token") ?? undefined;
mountDashboard(remoteBalancer("/events", { token, minBackoffMs: 200, maxBackoffMs: 1000 }));
document.documentElement.dataset.ready = "true";
