export const sharedBundles: { readonly suite: string; readonly shared: string; readonly redis: string };
export function bundleSharedSuite(): Promise<void>;
