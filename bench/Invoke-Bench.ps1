<#
.SYNOPSIS
Runs MlpTools' speed and memory benchmarks against the built module.

.DESCRIPTION
build.ps1 -Task Bench builds the module and runs this script; after a build it can also be run by hand:

    dotnet pwsh ./build.ps1; dotnet pwsh bench/Invoke-Bench.ps1 -Quick

With -Compare it first checks its peers (bench/peers: numpy, PyTorch and scikit-learn versions of the same epoch):
  - Debian's python3-numpy, python3-torch, python3-sklearn, python3-threadpoolctl and libopenblas0-pthread must be
    installed. Missing ones are installed with apt-get when running as root; otherwise it says exactly what to
    install and leaves out the comparison (the figures of MlpTools alone still run).
  - Each peer must run OpenBLAS: bench/peers/blas_info.py prints threadpoolctl's report of the BLAS each one loads.
    A peer on the reference BLAS (a machine without libopenblas0-pthread) is many times slower, and the Bench
    refuses to compare against it, saying to install libopenblas0-pthread.
  - Every peer runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its own command's environment
    (/usr/bin/env -u; they are set on some machines for older OpenBLAS builds and slow a current one; this
    process's environment keeps them), and with its best threads: OPENBLAS_NUM_THREADS and torch.set_num_threads
    set to the number of cores.
The header prints the CPU (model name, cores), each peer's BLAS, version, kernel (threadpoolctl's architecture,
OpenBLAS's corename) and threads, then the measured peak.

It prints, in this order:
  - bench/MlpTools.Bench (built here in Release): the machine's fp32 peak, matrix-product GFLOP/s at the network's
    shapes and 1024^3, and seconds per Fashion-MNIST epoch (784-100-10 and 784-1024-10, batch 200; a synthetic set of
    that shape when the data is absent); with -Compare, the numpy, PyTorch and scikit-learn peers interleaved with
    ours, as ratios; then what the epochs' diagnostics (EpochRecord.Diagnostics) cost: epochs of one run with them on
    and off in turn, as ratios on/off of wall-clock and CPU time, and the diagnostics' own kernels timed alone as a
    share of a batch;
  - what users time (bench/Measure-UserPaths.ps1): Invoke-Training calls of 1 and 10 epochs, batch 200 and 32,
    float32 and float64, H from 32 to 4096 and D = 3072, each a fresh pwsh paired with fresh peer processes in rotating
    order, as ratios to the best peer and as multiples of the FLOP limit at the peaks measured above, with the
    runtime's compile time during each call and the first call again with tiered compilation off; prediction on a
    Dataset against numpy's forward pass and over 10,000 Import-Csv objects against Import-Csv alone; the peak memory of
    importing and training on 1x, 4x and 16x Fashion-MNIST (synthetic) against the float32 data;
  - module import time (fresh pwsh, median of 5);
  - Invoke-MlpSweep against a foreach loop over Invoke-Training (bench/Measure-Sweep.ps1): 12 Digits trials with
    -ThrottleLimit 2 and 1, each a ratio to the loop's time in the same sample, median and range;
  - Fashion-MNIST load time and peak memory (Import-Dataset, train and test), and the peak memory of a process that
    trains 784-100-10 on it, beside numpy's (the peers' load.py and mlp_numpy.py) when the peers and their Python
    are present. Skipped when /usr/share/datasets/fashion-mnist is absent (apt-get install dataset-fashion-mnist).

The peers are this repository's own scripts, in bench/peers (see its README.md); nothing but -Compare and the numpy
side of the load figures needs them or their Python.

.PARAMETER ModulePath
The built module's manifest. Default: output/MlpTools/<version>/MlpTools.psd1.

.PARAMETER Compare
Also run the peers (numpy + OpenBLAS, PyTorch and scikit-learn) beside ours, after checking them (see above).

.PARAMETER Quick
A smoke run: the benchmark program's --quick (fewer samples and rounds); the other figures as usual.

.PARAMETER Section
Runs only these parts: Program (bench/MlpTools.Bench: peak, products, engine epochs, diagnostics), UserPaths
(bench/Measure-UserPaths.ps1) and Rest (module import, sweeps, dataset load and memory). Default: all of them.

.PARAMETER PeersPath
Where the peers' scripts are (mlp_numpy.py, mlp_torch.py, mlp_sklearn.py, gemm.py, load.py, blas_info.py). Default:
$env:MLPTOOLS_PEERS, else bench/peers in this clone.

.EXAMPLE
dotnet pwsh bench/Invoke-Bench.ps1 -Quick

A quick run of every figure, ours only.

.EXAMPLE
dotnet pwsh bench/Invoke-Bench.ps1 -Quick -Compare

A quick run with the peers beside ours.
#>
[CmdletBinding()]
param(
    [string] $ModulePath,
    [switch] $Compare,
    [switch] $Quick,
    [string] $PeersPath = $(if ($env:MLPTOOLS_PEERS) { $env:MLPTOOLS_PEERS } else { Join-Path $PSScriptRoot 'peers' }),
    [ValidateSet('Program', 'UserPaths', 'Rest')] [string[]] $Section
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../tools/MlpTools.Build.psm1') -Force

$Python = '/usr/bin/python3'
$FashionMnist = '/usr/share/datasets/fashion-mnist'
$PeersPath = [IO.Path]::GetFullPath($PeersPath)
$HavePeers = (Test-Path -LiteralPath $Python) -and (Test-Path -LiteralPath (Join-Path $PeersPath 'mlp_numpy.py'))
if ($Compare -and -not $HavePeers) {
    throw "-Compare runs the peers (mlp_numpy.py, mlp_torch.py, mlp_sklearn.py, gemm.py, blas_info.py) with $Python, from $PeersPath; " +
        'one of them is missing. Pass -PeersPath (or set MLPTOOLS_PEERS), or leave out -Compare.'
}
if (-not $ModulePath) { $ModulePath = Get-BuiltManifestPath }
if (-not (Test-Path -LiteralPath $ModulePath)) {
    throw "Built module not found ('$ModulePath'). Run 'dotnet pwsh ./build.ps1' first, or pass -ModulePath."
}
$Pwsh = @(Get-PwshCommand) + @('-NoProfile', '-NonInteractive', '-Command')
# Every peer's command starts so: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, OPENBLAS_NUM_THREADS = the cores.
$PeerCommand = @(Get-BenchPeerCommand) + $Python

function Test-Peers {
    <#
    Before -Compare measures anything: Debian's packages the peers need (installed when missing and running as root),
    then the BLAS each peer runs (blas_info.py), refusing any that is not OpenBLAS. Returns the peers' one-line BLAS
    summaries, or nothing (after a warning saying why and what to install) when the comparison is off.
    #>
    if (-not (Install-BenchPeerPackages)) { return }
    $summaries = [Collections.Generic.List[string]]::new()
    foreach ($lib in 'numpy', 'torch', 'sklearn') {
        $said = & $PeerCommand[0] @($PeerCommand | Select-Object -Skip 1) (Join-Path $PeersPath 'blas_info.py') --lib $lib --threads ([Environment]::ProcessorCount) 2>&1
        $report = "$($said | Where-Object { "$_" -match '^\{' } | Select-Object -Last 1)"
        if (-not $report) {
            Write-Warning ("bench/peers/blas_info.py --lib $lib failed (exit code $LASTEXITCODE): $("$($said | Select-Object -Last 1)") " +
                "-Compare is off for this run: the figures below are MlpTools' alone.")
            return
        }
        try { $summaries.Add((Get-BenchPeerBlas -Report $report).Summary) }
        catch {
            Write-Warning "$($_.Exception.Message) -Compare is off for this run: the figures below are MlpTools' alone."
            return
        }
    }
    $summaries   # only when every peer passed
}

function Invoke-PwshCommand([string] $Command) {
    <# Runs a command in a fresh pwsh and returns its output. #>
    & $Pwsh[0] @($Pwsh | Select-Object -Skip 1) $Command
}

function Invoke-BenchProgram {
    <# bench/MlpTools.Bench: peak, matrix products, epochs (and the peers beside them with -Compare). #>
    Invoke-DotNetBuild bench/MlpTools.Bench -Quiet
    # The compiler and MSBuild servers that the build leaves behind keep a core busy for a while: stop them, so that
    # the first measurements (the machine's peak among them) have the machine to themselves.
    $null = Invoke-Process dotnet @('build-server', 'shutdown')
    $benchArgs = @('--peers', $PeersPath, '--json', $BenchJson)
    if ($Compare) { $benchArgs += '--compare' }
    if ($Quick) { $benchArgs += '--quick' }
    foreach ($line in $PeerBlas) { $benchArgs += @('--peer-blas', $line) }
    $exitCode = Invoke-Process dotnet (@('run', '-c', 'Release', '--no-build', '--project', (Join-Path $PSScriptRoot 'MlpTools.Bench'), '--') + $benchArgs)
    if ($exitCode -ne 0) { throw "bench/MlpTools.Bench exited $exitCode." }
}

function Get-BenchPeaks {
    <# The FMA peaks (GFLOP/s, all cores) bench/MlpTools.Bench measured in this session: float32, float64. The program
       measures them twice (before and after the products), and on a shared host the best of both is the machine's:
       a first measurement disturbed by a neighbour would make every FLOP limit look closer than it is. #>
    $records = @(Get-Content -LiteralPath $BenchJson -ErrorAction Ignore | ForEach-Object { $_ | ConvertFrom-Json } |
        Where-Object { $_.bench -eq 'peak' -and $_.threads -eq [Environment]::ProcessorCount })
    foreach ($precision in 'float32', 'float64') {
        $best = @($records | Where-Object precision -eq $precision | ForEach-Object gflops_best) | Measure-Object -Maximum
        if ($best.Count) { $best.Maximum } else { 0 }
    }
}

function Measure-UserPaths {
    <# bench/Measure-UserPaths.ps1: what users time (calls, the curve, prediction, memory), beside the peers. #>
    $peaks = Get-BenchPeaks
    $arguments = @{ ModulePath = $ModulePath; Pwsh = $Pwsh; Peak32 = $peaks[0]; Peak64 = $peaks[1]; Quick = $Quick }
    if ($Compare) { $arguments += @{ PeerCommand = $PeerCommand; PeersPath = $PeersPath } }
    & (Join-Path $PSScriptRoot 'Measure-UserPaths.ps1') @arguments
}

function Measure-ModuleImport {
    $imports = foreach ($i in 1..5) {
        [double](Invoke-PwshCommand "(Measure-Command { Import-Module '$ModulePath' }).TotalSeconds" | Select-Object -Last 1)
    }
    $stats = $imports | Measure-Object -Minimum -Maximum
    Write-Host ('module import: {0:N3} s median of 5 [{1:N3}-{2:N3}]' -f ($imports | Sort-Object)[2], $stats.Minimum, $stats.Maximum)
}

function Measure-DatasetLoad {
    <#
    Import-Dataset of Fashion-MNIST's train and test files: the time in-process (median of 5 after a warm-up), and the
    peak RSS of a process that loads them once against the same process with the module imported and nothing loaded;
    then numpy's (load.py) beside it. Returns ours and numpy's seconds and memory over baseline (KiB).
    #>
    $train = "-Path '$FashionMnist/train-images-idx3-ubyte.gz' -LabelPath '$FashionMnist/train-labels-idx1-ubyte.gz'"
    $test = "-Path '$FashionMnist/t10k-images-idx3-ubyte.gz' -LabelPath '$FashionMnist/t10k-labels-idx1-ubyte.gz'"
    $seconds = [double](Invoke-PwshCommand @"
Import-Module '$ModulePath'
`$load = { Import-Dataset $train; Import-Dataset $test }
`$null = & `$load
`$t = foreach (`$i in 1..5) { [GC]::Collect(); (Measure-Command { `$null = & `$load }).TotalSeconds }
(`$t | Sort-Object)[2]
"@ | Select-Object -Last 1)
    $base = Measure-PeakMemory ($Pwsh + "Import-Module '$ModulePath'")
    $peak = Measure-PeakMemory ($Pwsh + "Import-Module '$ModulePath'; `$a = Import-Dataset $train; `$b = Import-Dataset $test")
    $matrixMiB = (60000 + 10000) * 784 * 4 / 1MB
    Write-Host ('load (MlpTools): train+test {0:N3} s median of 5; peak RSS {1:N0} MiB over a {2:N0} MiB baseline = {3:N0} MiB, {4:N2}x the {5:N0} MiB float32 matrices' -f
        $seconds, ($peak / 1KB), ($base / 1KB), (($peak - $base) / 1KB), (($peak - $base) / 1KB / $matrixMiB), $matrixMiB)
    if (-not $HavePeers -or -not (Test-Path -LiteralPath (Join-Path $PeersPath 'load.py'))) {
        Write-Host "load (numpy): skipped (no $Python or $PeersPath/load.py)"
        return $false
    }
    $numpyOut = & $PeerCommand[0] @($PeerCommand | Select-Object -Skip 1) (Join-Path $PeersPath 'load.py') --reps 5 --variants numpy_gzip_open 2>&1
    $numpySeconds = [double]($numpyOut | Where-Object { $_ -match '^\{' } | Select-Object -Last 1 | ConvertFrom-Json).seconds.median
    $pyBase = Measure-PeakMemory ($PeerCommand + @('-c', 'import numpy, gzip'))
    $pyPeak = Measure-PeakMemory ($PeerCommand + @('-c', "import sys; sys.path.insert(0, '$PeersPath'); import load; load.numpy_gzip_open()"))
    Write-Host ('load (numpy):    train+test {0:N3} s median of 5; peak RSS {1:N0} MiB over a {2:N0} MiB baseline = {3:N0} MiB' -f
        $numpySeconds, ($pyPeak / 1KB), ($pyBase / 1KB), (($pyPeak - $pyBase) / 1KB))
    Write-Host ('load ratio: time {0:N2}x numpy; memory over baseline {1:N2}x numpy''s' -f ($seconds / $numpySeconds), (($peak - $base) / ($pyPeak - $pyBase)))
    return $true
}

function Measure-TrainingMemory {
    <#
    Peak memory of a whole process that trains 784-100-10 on Fashion-MNIST (2 epochs, batch 200, SGD momentum 0.9,
    lr 0.01, lambda 1e-4, float32): ours in pwsh beside mlp_numpy.py's process.
    #>
    $ours = Measure-PeakMemory ($Pwsh + ("Import-Module '$ModulePath'; " +
        "`$d = Import-Dataset -Path '$FashionMnist/train-images-idx3-ubyte.gz' -LabelPath '$FashionMnist/train-labels-idx1-ubyte.gz'; " +
        "`$null = `$d | New-Mlp -HiddenSize 100 -Seed 1 | Invoke-Training -Epochs 2 -BatchSize 200 -LearningRate 0.01 -Momentum 0.9 -Regularization 1e-4 -Seed 1"))
    $numpy = Measure-PeakMemory ($PeerCommand + @((Join-Path $PeersPath 'mlp_numpy.py'), '--hidden', '100', '--epochs', '1', '--warmup', '1'))
    Write-Host ('train 784-100-10 peak RSS: MlpTools (pwsh) {0:N0} MiB, numpy {1:N0} MiB: {2:N2}x' -f ($ours / 1KB), ($numpy / 1KB), ($ours / $numpy))
}

function Measure-SweepSpeed {
    <# bench/Measure-Sweep.ps1 in a fresh pwsh: Invoke-MlpSweep against a foreach loop over Invoke-Training, paired. #>
    $samples = if ($Quick) { 2 } else { 11 }
    # The sweep over sessions goes to a private SSH server on 127.0.0.1, as the tests' (started and stopped here).
    Use-TestSshd -ScriptBlock {
        & $Pwsh[0] @($Pwsh | Select-Object -Skip 1 -First ($Pwsh.Count - 2)) -File (Join-Path $PSScriptRoot 'Measure-Sweep.ps1') -ModulePath $ModulePath -Samples $samples
        if ($LASTEXITCODE -ne 0) { throw "bench/Measure-Sweep.ps1 exited $LASTEXITCODE." }
    }
}

$PeerBlas = @(if ($Compare) { Test-Peers })
if ($Compare -and $PeerBlas.Count -eq 0) { $Compare = $false }
$BenchJson = Join-Path ([IO.Path]::GetTempPath()) "mlptools-bench-$PID.jsonl"
Remove-Item -LiteralPath $BenchJson -ErrorAction Ignore
if (-not $Section -or $Section -contains 'Program') { Invoke-BenchProgram }
if (-not $Section -or $Section -contains 'UserPaths') {
    if (-not (Test-Path -LiteralPath $BenchJson)) {
        # The FLOP limits need this session's peaks: measure them alone when the program's sections did not run.
        Invoke-DotNetBuild bench/MlpTools.Bench -Quiet
        $null = Invoke-Process dotnet @('run', '-c', 'Release', '--no-build', '--project', (Join-Path $PSScriptRoot 'MlpTools.Bench'), '--', '--sections', 'peak', '--json', $BenchJson)
    }
    Measure-UserPaths
}
Remove-Item -LiteralPath $BenchJson -ErrorAction Ignore
if ($Section -and $Section -notcontains 'Rest') { exit 0 }
Measure-ModuleImport
Measure-SweepSpeed
if (-not (Test-Path -LiteralPath (Join-Path $FashionMnist 'train-images-idx3-ubyte.gz'))) {
    Write-Host "load: skipped (no Fashion-MNIST in $FashionMnist; apt-get install dataset-fashion-mnist)"
}
elseif (Measure-DatasetLoad) {
    Measure-TrainingMemory
}
exit 0
