"""Shared helpers of the automl bench scripts: find or build the Release rltune, run it, read a study."""
import json, os, sqlite3, subprocess, sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RLTUNE = os.path.join(REPO, "src", "RlTune.Cli", "bin", "Release", "net10.0", "rltune")


def build():
    subprocess.run(["dotnet", "build", os.path.join(REPO, "src", "RlTune.Cli", "RlTune.Cli.csproj"), "-c", "Release", "--nologo", "-v", "q"],
                   check=True, stdout=subprocess.DEVNULL)


def shared_bench():
    for d in (os.path.join(REPO, "..", "shared", "bench"), os.path.join(REPO, "..", "..", "shared", "bench")):
        if os.path.exists(os.path.join(d, "functions.py")):
            return os.path.abspath(d)
    sys.exit("shared/bench/functions.py not found beside the repository")


def trials(db, study):
    """(number, state, score, params_json, ended_ms, seed_runs) of every trial of a study."""
    con = sqlite3.connect(db)
    try:
        sid = con.execute("SELECT id FROM studies WHERE name = ?", (study,)).fetchone()
        if sid is None:
            return []
        return con.execute(
            "SELECT t.number, t.state, t.score, t.params_json, t.ended_ms, "
            "(SELECT COUNT(*) FROM seed_runs s WHERE s.study_id = t.study_id AND s.number = t.number) "
            "FROM trials t WHERE t.study_id = ? ORDER BY t.number", (sid[0],)).fetchall()
    finally:
        con.close()


def status(output, study):
    out = subprocess.run([RLTUNE, "status", "--output", output, "--study", study, "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)
