export const sharedBundles: {
  readonly suite: string;
  readonly index: string;
  readonly shared: string;
  readonly nodePlatforms: string;
};
export function bundleSharedSuite(): Promise<void>;
