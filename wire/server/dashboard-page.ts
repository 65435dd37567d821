export const dashboardPage = '<!doctype html><title>Tessera</title><p>dashboard</p>';
