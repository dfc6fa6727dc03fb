/**
 * How busy the connection pool of a database server is, counted where connections are taken and
 * given back (the same way for PostgreSQL and MySQL/MariaDB); read by the metrics.
 * SQLite has one connection and no pool: its usage stays at zero.
 */
export class PoolUsage {
  /** Connections handed to a caller and not yet given back. */
  inUse = 0;
  /** Callers waiting for a connection (or for one to be opened). */
  waiting = 0;

  constructor(readonly max: number) {}

  /** Counts a caller from the moment it asks until `acquire` settles; then the connection as in use. */
  async acquire<T>(acquire: () => Promise<T>): Promise<T> {
    this.waiting++;
    try {
      const connection = await acquire();
      this.inUse++;
      return connection;
    } finally {
      this.waiting--;
    }
  }

  released(): void {
    this.inUse--;
  }
}
