// An error the user can act on: printed as one clear message (what, where, what to do), no stack.
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
