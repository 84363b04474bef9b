<#
.SYNOPSIS
Fuzzes MlpTools' file readers under AFL++ with this harness (Program.cs).

.DESCRIPTION
build.ps1 -Task Fuzz runs this script; it can also be run by hand:

    dotnet pwsh tests/MlpTools.Fuzz/Invoke-Fuzz.ps1 -Target Csv -Seconds 60

It publishes this project into output/fuzz/bin, instruments that copy of MlpTools.Core.dll with sharpfuzz (the
SharpFuzz.CommandLine tool that dotnet-tools.json pins; every other build stays as it was), and runs afl-fuzz on it
for -Seconds per target, from the seeds in tests/fuzz-corpus/seeds/ (and its dictionary, tests/fuzz-corpus/
dictionaries/, when there is one). A crash is an exception other than an MlpException escaping a reader; a hang,
an input still running after 5 s (afl-fuzz -t 5000). Findings land in output/fuzz/<Target>/default/ (crashes/,
hangs/, queue/, fuzzer_stats; an earlier run's folder is kept as <Target>.previous); a summary line per target
follows. Exit code 1 when a crash or hang was found.

When afl-fuzz is missing, it is installed with apt-get (Debian's afl++ package) if running as root; otherwise the
script says what to install.

.PARAMETER Target
The reader to fuzz; default: each in turn. Csv (a delimited file, delimiter detected), Idx (an images file and its
labels file packed into one input), Model (a model file as it is) or ModelStructured (a model file whose two SHA-256
checksums are recomputed before it is read, so changes reach the checks behind them).

.PARAMETER Seconds
How long afl-fuzz runs on each target (default 600).
#>
[CmdletBinding()]
param(
    [ValidateSet('Csv', 'Idx', 'Model', 'ModelStructured')]
    [string] $Target,

    [ValidateRange(1, 604800)]
    [int] $Seconds = 600
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../../tools/MlpTools.Build.psm1') -Force

$RepoRoot = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
$FuzzRoot = Join-Path $RepoRoot 'output/fuzz'
$Bin = Join-Path $FuzzRoot 'bin'

function Install-AflFuzz {
    <# Makes sure afl-fuzz is on the PATH: installs Debian's afl++ when running as root, else says what to install. #>
    if (Get-Command afl-fuzz -CommandType Application -ErrorAction Ignore) { return }
    Install-DebianPackage -Package afl++ -Missing 'afl-fuzz (AFL++)' -Elsewhere 'elsewhere, AFL++ from its sources'
}

function Publish-Harness {
    <# This project, published into output/fuzz/bin, its copy of MlpTools.Core.dll instrumented in place. #>
    $null = Reset-Folder $Bin
    Invoke-Native dotnet @('tool', 'restore')
    Invoke-DotNetBuild tests/MlpTools.Fuzz/MlpTools.Fuzz.csproj -PublishTo $Bin -Quiet
    Invoke-Native dotnet @('tool', 'run', 'sharpfuzz', (Join-Path $Bin 'MlpTools.Core.dll'))
}

function Read-FuzzerStats {
    <# The key = value lines of afl-fuzz's fuzzer_stats file as a hashtable. #>
    param([Parameter(Mandatory)] [string] $Path)
    $stats = @{}
    foreach ($line in Get-Content -LiteralPath $Path) {
        $key, $value = $line -split '\s*:\s*', 2
        if ($key) { $stats[$key.Trim()] = "$value".Trim() }
    }
    return $stats
}

function Invoke-AflFuzz {
    <#
    Runs afl-fuzz on one target for $Seconds; returns its summary line and how many crashes and hangs it found (a run
    that wrote no statistics counts as one finding).
    #>
    param([Parameter(Mandatory)] [string] $Name)
    $seedSet = if ($Name -eq 'ModelStructured') { 'Model' } else { $Name }
    $findings = Join-Path $FuzzRoot $Name
    $previous = "$findings.previous"
    if (Test-Path -LiteralPath $findings) {
        if (Test-Path -LiteralPath $previous) { Remove-Item -LiteralPath $previous -Recurse -Force }
        Move-Item -LiteralPath $findings -Destination $previous
    }
    $aflArgs = @('-i', (Join-Path $RepoRoot "tests/fuzz-corpus/seeds/$seedSet"), '-o', $findings, '-t', '5000', '-m', 'none', '-V', "$Seconds")
    $dictionary = Join-Path $RepoRoot "tests/fuzz-corpus/dictionaries/$seedSet.dict"
    if (Test-Path -LiteralPath $dictionary) { $aflArgs += @('-x', $dictionary) }
    # The target is the dotnet host, whose native code afl-fuzz cannot see instrumented: the coverage comes from the
    # managed code, through SharpFuzz's shared-memory map.
    $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
    $aflArgs += @('--', $dotnet, (Join-Path $Bin 'MlpTools.Fuzz.dll'), $Name)
    Write-Host "afl-fuzz $($aflArgs -join ' ')"
    $exitCode = Invoke-Process afl-fuzz $aflArgs

    $statsFile = Join-Path $findings 'default/fuzzer_stats'
    if (-not (Test-Path -LiteralPath $statsFile)) {
        return [pscustomobject]@{ Summary = "${Name}: afl-fuzz exited $exitCode without writing $statsFile"; Found = 1 }
    }
    $stats = Read-FuzzerStats $statsFile
    # AFL++ 4 names; AFL++ 3 and AFL 2 called them paths_total, unique_crashes, unique_hangs.
    $corpus = if ($stats.ContainsKey('corpus_count')) { $stats.corpus_count } else { $stats.paths_total }
    $crashes = [int]$(if ($stats.ContainsKey('saved_crashes')) { $stats.saved_crashes } else { $stats.unique_crashes })
    $hangs = [int]$(if ($stats.ContainsKey('saved_hangs')) { $stats.saved_hangs } else { $stats.unique_hangs })
    $ran = [long]$stats.last_update - [long]$stats.start_time
    [pscustomobject]@{
        Summary = '{0}: {1} s, {2} executions, {3} execs/s, corpus {4}, crashes {5}, hangs {6}; findings in {7}' -f
            $Name, $ran, $stats.execs_done, $stats.execs_per_sec, $corpus, $crashes, $hangs, (Join-Path $findings 'default')
        Found   = $crashes + $hangs
    }
}

Install-AflFuzz
Publish-Harness
# The machine may be shared: bind to no core; no screen UI, and none of afl-fuzz's checks that do not apply to a
# managed target.
$env:AFL_SKIP_BIN_CHECK = '1'
$env:AFL_SKIP_CPUFREQ = '1'
$env:AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES = '1'
$env:AFL_NO_AFFINITY = '1'
$env:AFL_NO_UI = '1'

# Every target: the choices of -Target.
$targets = if ($Target) { @($Target) } else { ((Get-Variable Target).Attributes | Where-Object { $_ -is [ValidateSet] }).ValidValues }
$runs = @(foreach ($t in $targets) { Invoke-AflFuzz $t })
$runs | ForEach-Object { Write-Host $_.Summary }
if (($runs | Measure-Object -Property Found -Sum).Sum -gt 0) {
    Write-Host ('Replay a finding with: dotnet run --project tests/MlpTools.Fuzz -c Release -- --replay TARGET FILE; ' +
        'once fixed, keep the input in tests/fuzz-corpus/crashes/TARGET/ (the xunit tests read every file there).')
    exit 1
}
exit 0
