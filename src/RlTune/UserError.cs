namespace RlTune;

/// <summary>
/// A mistake of the user's (bad flag, bad file, bad value). The CLI prints its message as one
/// sentence and exits with code 1; no stack trace reaches the user.
/// </summary>
public sealed class UserError(string message) : Exception(message);
