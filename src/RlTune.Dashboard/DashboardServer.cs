using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RlTune.Storage;

namespace RlTune.Dashboard;

/// <summary>
/// The dashboard's web server (ASP.NET Core, Kestrel): the JSON API over a <see cref="StudyReader"/>, the pages
/// (<see cref="DashboardPages"/>), the token check in front
/// of every request, and the actions when allowed. Docs: docs/dashboard.md.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    public const string TokenCookie = "rltune_dashboard_token";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // served as application/json only, so quotes and apostrophes in messages may stay as they are
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly WebApplication _app;
    private readonly IStudyStore _store;

    private DashboardServer(WebApplication app, IStudyStore store, StudyReader reader, Uri url, DashboardOptions options)
    {
        _app = app;
        _store = store;
        Reader = reader;
        Url = url;
        Options = options;
    }

    /// <summary>What the API reads studies with.</summary>
    public StudyReader Reader { get; }

    /// <summary>Where the dashboard answers, e.g. http://127.0.0.1:8080/.</summary>
    public Uri Url { get; }

    public DashboardOptions Options { get; }

    /// <summary>The address to open: <see cref="Url"/> and <paramref name="path"/>, with the token when one is required.</summary>
    public string OpenUrl(string path = "") => Options.Token is { } t ? $"{Url}{path}?token={Uri.EscapeDataString(t)}" : $"{Url}{path}";

    /// <summary>Opens the store and starts listening; the options must be <see cref="DashboardOptions.Checked"/>.</summary>
    public static async Task<DashboardServer> StartAsync(DashboardOptions options, CancellationToken cancel = default)
    {
        var store = StoreFactory.Open(options.Storage, options.Output);
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k =>
            {
                if (options.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) k.ListenLocalhost(options.Port);
                else k.Listen(IPAddress.TryParse(options.Host, out var ip) ? ip : Dns.GetHostAddresses(options.Host).First(), options.Port);
            });
            var app = builder.Build();
            var reader = new StudyReader(store, options.Output, options);
            Map(app, options, reader, new StudyActions(store, reader));
            try
            {
                await app.StartAsync(cancel);
            }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await app.DisposeAsync();
                throw new UserError($"--port: {options.Port} is already in use on {options.Host}; give another --port.");
            }
            catch (SocketException e)
            {
                await app.DisposeAsync();
                throw new UserError($"--host: cannot listen on {options.Host}:{options.Port} ({e.Message}).");
            }
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new DashboardServer(app, store, reader, new Uri(address.TrimEnd('/') + "/"), options);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    public Task WaitForShutdownAsync(CancellationToken cancel) => _app.WaitForShutdownAsync(cancel);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _store.Dispose();
    }

    private static void Map(WebApplication app, DashboardOptions options, StudyReader reader, StudyActions actions)
    {
        app.Use((context, next) => Guard(context, next, options));

        var api = app.MapGroup("/api");
        api.MapGet("/studies", () => Answer(reader.Studies));
        api.MapGet("/studies/{name}", (string name) => Answer(() => reader.Detail(name)));
        api.MapGet("/studies/{name}/trials", (string name, string? state) => Answer(() => reader.Trials(name, state)));
        api.MapGet("/studies/{name}/trials/{number:int}", (string name, int number) => Answer(() => reader.Trial(name, number)));
        api.MapGet("/studies/{name}/curves", (string name, string? metric, string? state) => Answer(() => reader.Curves(name, metric, state)));
        api.MapGet("/studies/{name}/importance", (string name) => Answer(() => reader.Importance(name)));
        api.MapGet("/studies/{name}/audit", (string name) => Answer(() => reader.Audit(name)));
        api.MapGet("/studies/{name}/files", (string name, string? path) => Answer(() =>
        {
            var file = StudyFiles.Resolve(StudyFiles.StudyDir(reader.Output, reader.Find(name).Name), path);
            return Results.File(file, StudyFiles.ContentType(file));
        }));
        api.MapPost("/studies/{name}/stop", (string name) => Act(options, () => actions.Stop(name)));
        api.MapPost("/studies/{name}/enqueue", (string name, EnqueueRequest? body) => Act(options, () => actions.Enqueue(name, body?.Params)));
        api.MapPost("/studies/{name}/trials/{number:int}/rerun", (string name, int number) => Act(options, () => actions.Rerun(name, number)));
        api.MapFallback(() => Results.Json(new ErrorView("no such API endpoint; see docs/dashboard.md for the list"), Json, statusCode: StatusCodes.Status404NotFound));
        DashboardPages.Map(app);

    }

    /// <summary>The body of <c>POST /api/studies/{name}/enqueue</c>.</summary>
    public sealed record EnqueueRequest(JsonObject? Params);

    private static IResult Answer<T>(Func<T> view)
    {
        try
        {
            var value = view();
            return value as IResult ?? Results.Json(value, Json);
        }
        catch (StudyNotFound e)
        {
            return Results.Json(new ErrorView(e.Message), Json, statusCode: StatusCodes.Status404NotFound);
        }
        catch (FileNotFoundException e)
        {
            return Results.Json(new ErrorView(e.Message), Json, statusCode: StatusCodes.Status404NotFound);
        }
        catch (UserError e)
        {
            return Results.Json(new ErrorView(e.Message), Json, statusCode: StatusCodes.Status400BadRequest);
        }
    }

    private static IResult Act(DashboardOptions options, Func<ActionResultView> action) => options.AllowActions
        ? Answer(action)
        : Results.Json(new ErrorView("actions are off: this dashboard only reads; start it with --allow-actions to stop, enqueue or re-run"), Json, statusCode: StatusCodes.Status403Forbidden);

    // In front of every request: the Host header (a page on another site cannot reach a loopback dashboard by DNS rebinding),
    // the token when one is set, and JSON bodies for actions (a cross-site form cannot send one without a preflight this server never grants).
    private static async Task Guard(HttpContext context, Func<Task> next, DashboardOptions options)
    {
        var request = context.Request;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        if (options.IsLoopback && !IsLoopbackHost(request.Host.Host))
        {
            await Deny(context, StatusCodes.Status400BadRequest, $"host '{request.Host.Host}' is not this machine; open the dashboard as {options.Host}.");
            return;
        }
        if (options.Token is { } token)
        {
            var fromQuery = request.Query["token"].ToString();
            var given = fromQuery.Length > 0 ? fromQuery
                : request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth["Bearer ".Length..].Trim()
                : request.Cookies[TokenCookie] ?? "";
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token)))
            {
                await Deny(context, StatusCodes.Status401Unauthorized, given.Length == 0
                    ? "this dashboard needs its token: open the address it printed at start (…?token=…) or send Authorization: Bearer <token>."
                    : "the token does not match the one this dashboard printed at start.");
                return;
            }
            // the page's own requests then carry it without putting it in every URL
            if (fromQuery.Length > 0)
                context.Response.Cookies.Append(TokenCookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
        }
        if (HttpMethods.IsPost(request.Method) && request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            await Deny(context, StatusCodes.Status415UnsupportedMediaType, "actions take a JSON body: send Content-Type: application/json (an empty action sends {}).");
            return;
        }
        await next();
    }

    private static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    private static Task Deny(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorView(message), Json);
    }
}
