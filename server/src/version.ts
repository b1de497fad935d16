/** The server's version; a test keeps it equal to server/package.json. */
export const serverVersion = '0.1.0';
