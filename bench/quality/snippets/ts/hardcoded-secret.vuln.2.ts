export class Client {
  private readonly secret = 'c0ffee-d00d-5ecr3t-9999';
  headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.secret}` };
  }
}
