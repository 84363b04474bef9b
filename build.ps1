<#
.SYNOPSIS
Builds, tests, demonstrates, benchmarks, packages, installs and fuzzes the MlpTools module.

.DESCRIPTION
The one front door for MlpTools. Run it from any folder with the pinned PowerShell:

    dotnet tool restore
    dotnet pwsh ./build.ps1 -Task Test

Every task that needs the module builds it first into output/MlpTools/<version>/, the folder layout PowerShell
expects (<version> is ModuleVersion in module/MlpTools.psd1). Tests, the demo and the benchmarks always import that
built module in a fresh pwsh, never the sources.

This file is the list of tasks. Their steps are in tools/MlpTools.Build.psm1 (which the Pester tests share), and
the benchmark and fuzzing runs live beside what they run: bench/Invoke-Bench.ps1 and
tests/MlpTools.Fuzz/Invoke-Fuzz.ps1, each of which can also be run by hand (Get-Help on them for their options).

.PARAMETER Task
Build    Publish src/MlpTools and lay out output/MlpTools/<version>/: the manifest, the format and type files,
         en-US help and fonts from module/, the assemblies (MlpTools, MlpTools.Core, MlpTools.Plots, MathNet.Numerics,
         ScottPlot, SkiaSharp, OnnxSharp and Google.Protobuf for Export-MlpOnnx, ...), and the native drawing libraries in runtimes/ for every platform the manifest's
         NativeRuntimes names. The version folder is emptied first, so no stale file survives.
Test     Build the solution once, then run the xunit engine tests (tests/MlpTools.Core.Tests) and the Pester module
         tests (tests/Pester/*.Tests.ps1, Pester 5.7.1 from NuGet, in a fresh pwsh). Results land in
         output/TestResults/. The last line printed is "Tests: N passed, M failed" (", K skipped" follows when
         K > 0); the exit code is 1 when M > 0. A build failure or a runner that could not run counts as a failure.
         For the remoting tests (tests/Pester/Remoting.Tests.ps1) the Pester run starts a private OpenSSH server on
         127.0.0.1 and a free port, with throwaway keys in a temporary folder, the pinned pwsh as its powershell
         subsystem and output/ on that pwsh's PSModulePath; it is stopped by its pid when the run ends, and its
         log kept as output/TestResults/sshd.log. When sshd is missing, Debian's openssh-server is installed with
         apt-get if running as root (where system services run, the package also starts the system's own sshd);
         otherwise the remoting tests are skipped, saying why and what to install. With the environment variable
         MLPTOOLS_REQUIRE_REMOTING=1, as .ci/run sets it, they fail instead of being skipped.
Demo     Build, then run examples/Demo.ps1 in a fresh pwsh against the built module.
Bench    Build, then run bench/Invoke-Bench.ps1: the benchmark program bench/MlpTools.Bench (float32 and float64
         peaks, matrix products, epoch times, where a step's time goes), what users time (bench/Measure-UserPaths.ps1:
         Invoke-Training calls of 1 and 10 epochs at batch 200 and 32, float64, H from 32 to 4096, D = 3072,
         prediction, memory as the data grows; each a fresh pwsh against fresh peer processes, paired, as ratios and
         as multiples of the FLOP limit), module import time, sweeps, and Fashion-MNIST load time and memory. With -Compare, the numpy,
         PyTorch and scikit-learn peers (the repository's bench/peers, or $env:MLPTOOLS_PEERS) run in the same
         session and ratios are printed. First it checks them: Debian's python3-numpy, python3-torch,
         python3-sklearn, python3-threadpoolctl and libopenblas0-pthread are installed with apt-get when missing if
         running as root; otherwise it says what to install and runs without the peers. A peer that runs the
         reference BLAS instead of OpenBLAS (threadpoolctl, bench/peers/blas_info.py) is refused the same way. The
         peers run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset in their own command and a thread per core;
         the header prints the CPU, each peer's BLAS, version, kernel and threads, then the measured peak.
         Never part of Test; for a quick smoke run, run the script with -Quick.
Package  Build, then pack the module into output/packages/MlpTools.<version>.nupkg with PSResourceGet's
         Publish-PSResource (PSResourceGet comes with the pinned PowerShell), publishing into output/packages/ as a
         folder repository, and print the package's size and contents. The repository is registered only for the
         publishing, in a fresh pwsh whose user folders are temporary: your own list of repositories is not touched.
         To install from it: Register-PSResourceRepository -Name MlpToolsLocal -Uri <repo>/output/packages -Trusted;
         Install-PSResource MlpTools -Repository MlpToolsLocal. The package carries the native drawing libraries
         of every platform NativeRuntimes names; tests/Pester/Package.Tests.ps1 installs it that way and trains.
Install  Build, then copy the module to MlpTools/<version>/ in your own module folder (the first folder of
         $env:PSModulePath under your home: ~/.local/share/powershell/Modules on Linux and macOS,
         Documents/PowerShell/Modules on Windows), or in -ModulePath. Any pwsh can then load it by name
         (Import-Module MlpTools), or simply run one of its cmdlets: PowerShell loads it on first use.
Clean    Remove output/ and every bin/ and obj/ folder under src/, tests/, tools/ and bench/.
Fuzz     Run tests/MlpTools.Fuzz/Invoke-Fuzz.ps1: fuzz the file readers with AFL++ (afl-fuzz) for -Seconds each,
         -Target or every target in turn, from the seeds in tests/fuzz-corpus/seeds/. A crash is an exception other
         than an MlpException escaping a reader; a hang, an input still running after 5 s. Findings land in
         output/fuzz/<Target>/default/ and a summary line per target follows; the exit code is 1 when a crash or
         hang was found. When afl-fuzz is missing, it is installed with apt-get (Debian's afl++ package) if running
         as root; otherwise the task says what to install. Never part of Test.

.PARAMETER Configuration
The .NET build configuration: Release (the default) or Debug.

.PARAMETER Compare
Bench only: also run the peers (numpy + OpenBLAS, PyTorch and scikit-learn, from bench/peers) beside ours, after
checking their packages and their BLAS.

.PARAMETER ModulePath
Install only: the modules folder to install into, instead of your own module folder.

.PARAMETER Seconds
Fuzz only: how long afl-fuzz runs on each target, in seconds (default 600).

.PARAMETER Target
Fuzz only: the reader to fuzz; default: each in turn. Csv (a delimited file, delimiter detected), Idx (an images
file and its labels file packed into one input), Model (a model file as it is) or ModelStructured (a model file
whose two SHA-256 checksums are recomputed before it is read, so changes reach the checks behind them).

.EXAMPLE
dotnet pwsh ./build.ps1

Builds the module into output/MlpTools/<version>/.

.EXAMPLE
dotnet pwsh ./build.ps1 -Task Test -Configuration Debug

Builds in Debug and runs every xunit and Pester test.

.EXAMPLE
dotnet pwsh ./build.ps1 -Task Package

Builds the module and writes output/packages/MlpTools.<version>.nupkg, printing its size and what it holds.

.EXAMPLE
dotnet pwsh ./build.ps1 -Task Fuzz -Target Model -Seconds 600

Fuzzes the model-file reader under afl-fuzz for ten minutes and prints its executions, speed, corpus, crashes and
hangs.

.NOTES
The built module's manifest path is handed to tests and examples in the environment variable
MLPTOOLS_MODULE_PATH; the test SSH server's address, user, key and ssh options in MLPTOOLS_TEST_SSH_HOST, _PORT,
_USER, _KEY and _OPTIONS (or, when it could not start, why in MLPTOOLS_TEST_SSH_UNAVAILABLE), which
tests/Pester/TestHelpers.psm1 reads for New-TestSshSession and Get-TestSshSkipReason.
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Package', 'Install', 'Clean', 'Fuzz')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    [switch] $Compare,

    [string] $ModulePath,

    [ValidateRange(1, 604800)]
    [int] $Seconds = 600,

    [ValidateSet('Csv', 'Idx', 'Model', 'ModelStructured')]
    [string] $Target
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot 'tools/MlpTools.Build.psm1') -Force

# The tasks, each a few steps. What a task outputs last is its exit code (nothing: 0).
$Tasks = @{
    Build   = {
        Build-MlpModule -Configuration $Configuration
    }
    Test    = {
        # One build of the whole solution, which publishing and both test runners reuse.
        $results = Reset-Folder (Join-Path $PSScriptRoot 'output/TestResults')
        $steps = @(Measure-TestStep Build {
            Invoke-DotNetBuild MlpTools.sln -Configuration $Configuration
            Build-MlpModule -Configuration $Configuration -NoBuild
        })
        if ($steps[0].Failed -eq 0) {
            $steps += Measure-TestStep xunit { Invoke-XunitTests -Configuration $Configuration -ResultsDirectory $results }
            $steps += Measure-TestStep Pester { Invoke-PesterTests -ResultsDirectory $results }
        }
        Write-TestSummary $steps   # ends with "Tests: N passed, M failed"
    }
    Demo    = {
        Build-MlpModule -Configuration $Configuration
        $env:MLPTOOLS_MODULE_PATH = Get-BuiltManifestPath
        Invoke-FreshPwsh (Join-Path $PSScriptRoot 'examples/Demo.ps1')
    }
    Bench   = {
        Build-MlpModule -Configuration $Configuration
        Invoke-FreshPwsh (Join-Path $PSScriptRoot 'bench/Invoke-Bench.ps1') (
            @('-ModulePath', (Get-BuiltManifestPath)) + @(if ($Compare) { '-Compare' }))
    }
    Package = {
        Build-MlpModule -Configuration $Configuration
        $null = New-MlpPackage
    }
    Install = {
        Build-MlpModule -Configuration $Configuration
        Install-MlpModule -ModulePath $ModulePath
    }
    Clean   = {
        Clear-BuildOutput
    }
    Fuzz    = {
        Invoke-FreshPwsh (Join-Path $PSScriptRoot 'tests/MlpTools.Fuzz/Invoke-Fuzz.ps1') (
            @('-Seconds', $Seconds) + @(if ($Target) { '-Target', $Target }))
    }
}

try {
    $exitCode = [int](& $Tasks[$Task] | Select-Object -Last 1)
}
catch {
    Write-Host "build.ps1 -Task ${Task} failed: $_" -ForegroundColor Red
    $exitCode = 1
}
exit $exitCode
