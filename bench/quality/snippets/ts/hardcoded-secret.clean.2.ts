export class Client {
  constructor(private readonly secret: string) {}
  headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.secret}` };
  }
}
