// Prints which runtime a stage of `npm test` runs under: `node scripts/stage.mjs NAME`.
console.log(`=== ${process.argv[2] ?? "stage"}: node ${process.version} (${process.execPath})`);
