<#
.SYNOPSIS
The Bench's user-path section: MlpTools timed the way users time it, beside its peers, paired sample by sample.

.DESCRIPTION
Run by bench/Invoke-Bench.ps1 (build.ps1 -Task Bench). Every figure of ours is a fresh pwsh running what a user's script
runs (Import-Module, Import-Dataset, New-Mlp | Invoke-Training, Invoke-MlpPrediction), its call timed with
Measure-Command; every peer is a fresh process of bench/peers. In each sample the contenders run one after the other in
an order that rotates from sample to sample, and each ratio is taken within its sample (a noisy spell of the machine
weighs on both sides); the table shows the median ratio and its range over the samples.

  - Training calls: seconds per epoch of a whole Invoke-Training call (its fixed costs included), against the best
    peer's median epoch (numpy, PyTorch, scikit-learn; numpy alone in float64), and as a multiple of the FLOP limit: the
    epoch's matrix-product FLOPs, 2 n (2 D H + 3 H C), at the FMA peak measured in this session (float32 and float64
    apart). A 1-epoch call is also set against one epoch of the 10-epoch call of the same sample. Each call records
    the methods the runtime compiled on all threads during it and their compile time, and the first case also runs in
    a pwsh with tiered compilation off: in a process's first seconds the runtime recompiles PowerShell's hot code on a
    background thread, which a training sets to the lowest priority (Linux), so most of it waits for the call to end
    (its compile time then counts the time it waits, so the methods are the measure).
  - The curve: H from 32 to 4096 (peers at 100, 1024 and 4096) and D = 3072 (synthetic, CIFAR-sized).
  - Prediction: Invoke-MlpPrediction on a Dataset of 10,000 against numpy's forward pass; 10,000 Import-Csv objects
    piped to Invoke-MlpPrediction against Import-Csv alone (the best of 3 each, in one process).
  - Memory: the peak RSS of a process that imports 1x, 4x and 16x Fashion-MNIST's training set (synthetic) and trains
    one epoch, over the same process with nothing loaded, against the float32 data's size.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string[]] $Pwsh,
    [string[]] $PeerCommand,
    [string] $PeersPath,
    [double] $Peak32,
    [double] $Peak64,
    [int] $Samples = 3,
    [switch] $Quick,
    # Only the training cases whose names match this wildcard (all by default); with -NoPrediction and -NoMemory, a
    # quick look at one figure.
    [string] $Only = '*',
    [switch] $NoPrediction,
    [switch] $NoMemory
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../tools/MlpTools.Build.psm1')
$Compare = [bool]$PeerCommand
$work = Join-Path ([IO.Path]::GetTempPath()) "mlptools-bench-$PID"
$null = New-Item -ItemType Directory -Path $work -Force
# The synthetic data (up to 16x Fashion-MNIST's size) goes with the run, however it ends.
try {
$Fashion = '/usr/share/datasets/fashion-mnist'

function Write-Idx([string] $Path, [int] $Count, [int[]] $Shape, [int] $Seed, [switch] $Labels) {
    <# A synthetic IDX file of unsigned bytes (uniform pixels, or labels 0-9), written a block at a time. #>
    $stream = [IO.File]::Create($Path)
    try {
        $dims = @($Count) + $(if ($Labels) { @() } else { $Shape })
        $header = [byte[]](0, 0, 8, $dims.Count)
        foreach ($d in $dims) { $header += [BitConverter]::GetBytes([int]$d)[3..0] }
        $stream.Write($header, 0, $header.Length)
        $perRow = 1
        if (-not $Labels) { foreach ($d in $Shape) { $perRow *= $d } }
        $random = [Random]::new($Seed)
        $block = [byte[]]::new([Math]::Min([long]$Count * $perRow, 16MB))
        $left = [long]$Count * $perRow
        while ($left -gt 0) {
            $random.NextBytes($block)
            if ($Labels) { for ($i = 0; $i -lt $block.Length; $i++) { $block[$i] = $block[$i] % 10 } }
            $take = [int][Math]::Min($left, $block.Length)
            $stream.Write($block, 0, $take)
            $left -= $take
        }
    }
    finally { $stream.Dispose() }
}

function New-DataFolder([string] $Name, [int] $Train, [int[]] $Shape) {
    <# A folder of synthetic train and t10k IDX files (uncompressed), in the names Fashion-MNIST's files have. #>
    $folder = Join-Path $work $Name
    $null = New-Item -ItemType Directory -Path $folder -Force
    Write-Idx (Join-Path $folder 'train-images-idx3-ubyte') $Train $Shape 5
    Write-Idx (Join-Path $folder 'train-labels-idx1-ubyte') $Train $Shape 6 -Labels
    Write-Idx (Join-Path $folder 't10k-images-idx3-ubyte') 10000 $Shape 7
    Write-Idx (Join-Path $folder 't10k-labels-idx1-ubyte') 10000 $Shape 8 -Labels
    $folder
}

function Get-DataFiles([string] $Folder) {
    $gz = if (Test-Path -LiteralPath (Join-Path $Folder 'train-images-idx3-ubyte.gz')) { '.gz' } else { '' }
    [pscustomobject]@{
        Train = "-Path '$Folder/train-images-idx3-ubyte$gz' -LabelPath '$Folder/train-labels-idx1-ubyte$gz'"
        Test = "-Path '$Folder/t10k-images-idx3-ubyte$gz' -LabelPath '$Folder/t10k-labels-idx1-ubyte$gz'"
    }
}

function Invoke-Ours([string] $Script, [switch] $NoTiering) {
    <# A fresh pwsh running a user's script; returns the object its last JSON line describes. With -NoTiering, the
       process runs with the runtime's tiered compilation off (DOTNET_TieredCompilation=0): every method is compiled
       once, optimized, so no background recompiling competes with the call for the cores. #>
    if ($NoTiering) { $env:DOTNET_TieredCompilation = '0' }
    try {
        $out = & $Pwsh[0] @($Pwsh | Select-Object -Skip 1) "Import-Module '$ModulePath'; `$ProgressPreference = 'SilentlyContinue'; $Script" 2>&1
    }
    finally { if ($NoTiering) { Remove-Item Env:DOTNET_TieredCompilation } }
    $json = $out | Where-Object { "$_" -match '^\{' } | Select-Object -Last 1
    if (-not $json) { throw "A MlpTools run failed: $($out | Select-Object -Last 3)" }
    "$json" | ConvertFrom-Json
}

function Invoke-Peer([string] $Script, [string[]] $Arguments, [string] $DataFolder) {
    <# A fresh peer process; its median epoch (and the whole record). Null when it failed (said as a warning). #>
    $env:FMNIST_DIR = $DataFolder
    # PyTorch's OpenMP threads wait passively between its parallel regions, its best setting beside OpenBLAS's threads
    # on these cores (as bench/MlpTools.Bench runs it).
    $env:OMP_WAIT_POLICY = 'PASSIVE'
    try {
        $out = & $PeerCommand[0] @($PeerCommand | Select-Object -Skip 1) (Join-Path $PeersPath $Script) @Arguments 2>&1
    }
    finally { Remove-Item Env:FMNIST_DIR, Env:OMP_WAIT_POLICY }
    $json = $out | Where-Object { "$_" -match '^\{' } | Select-Object -Last 1
    if (-not $json) { Write-Warning "$Script $Arguments failed: $($out | Select-Object -Last 1)"; return $null }
    "$json" | ConvertFrom-Json
}

function Get-Stats([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $n = $sorted.Count
    $median = if ($n % 2) { $sorted[($n - 1) / 2] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
    [pscustomobject]@{ Median = $median; Min = $sorted[0]; Max = $sorted[-1]; N = $n }
}

function Format-Stats($s, [string] $Format = 'N2', [string] $Unit = 'x') {
    if (-not $s) { return '' }
    "{0}{3} [{1}-{2}]" -f $s.Median.ToString($Format), $s.Min.ToString($Format), $s.Max.ToString($Format), $Unit
}

# ---------------------------------------------------------------- data
$fashionFolder = if (Test-Path -LiteralPath (Join-Path $Fashion 'train-images-idx3-ubyte.gz')) { $Fashion } else {
    Write-Host 'user paths: Fashion-MNIST not found; timing a synthetic set of its shape (apt-get install dataset-fashion-mnist for the real one)'
    New-DataFolder 'fashion-synthetic' 60000 @(28, 28)
}
$cifarFolder = New-DataFolder 'd3072' 20000 @(32, 32, 3)

# ---------------------------------------------------------------- training calls
# Name, hidden size, batch, epochs of our call, precision, data, samples, peers' timed epochs, peers.
$cases = [Collections.Generic.List[object]]::new()
function Add-Case($Name, $H, $B, $E, $P, $Data, $N, $K, [string[]] $Peers, $Group = 'call') {
    $cases.Add([pscustomobject]@{ Name = $Name; H = $H; B = $B; E = $E; P = $P; Data = $Data; D = 0; N = $N; K = $K; Peers = @($Peers | Where-Object { $_ }); Group = $Group })
}
$all = 'numpy', 'torch', 'sklearn'
Add-Case '784-100-10, batch 200, 10-epoch call' 100 200 10 'Single' $fashionFolder 60000 4 $all
Add-Case '784-100-10, batch 200, 1-epoch call' 100 200 1 'Single' $fashionFolder 60000 0 @()
Add-Case '784-1024-10, batch 200, 10-epoch call' 1024 200 10 'Single' $fashionFolder 60000 2 $all
Add-Case '784-100-10, batch 32, 5-epoch call' 100 32 5 'Single' $fashionFolder 60000 2 $all
Add-Case 'float64 784-100-10, batch 200, 5-epoch call' 100 200 5 'Double' $fashionFolder 60000 3 @('numpy')
Add-Case 'float64 784-1024-10, batch 200, 3-epoch call' 1024 200 3 'Double' $fashionFolder 60000 2 @('numpy')
foreach ($h in 32, 64, 256, 512, 2048, 4096) {
    Add-Case "784-$h-10, batch 200, 2-epoch call" $h 200 2 'Single' $fashionFolder 60000 1 $(if ($h -eq 4096) { 'numpy', 'torch' } else { @() }) 'curve'
}
Add-Case '3072-100-10 (synthetic, 20,000), batch 200, 3-epoch call' 100 200 3 'Single' $cifarFolder 20000 2 @('numpy', 'torch') 'curve'
foreach ($c in $cases) { $c.D = if ($c.Data -eq $cifarFolder) { 3072 } else { 784 } }
$cases = @($cases | Where-Object Name -like $Only)
if ($Quick) { $Samples = 1 }

$results = @{}   # case name -> list of per-sample records
Write-Host ("== user paths: {0} sample(s), contenders in rotating order; ratios within each sample, median [range]" -f $Samples)
for ($sample = 0; $sample -lt $Samples; $sample++) {
    foreach ($case in $cases) {
        if ($case.Group -eq 'curve' -and $sample -ge [Math]::Max(1, [Math]::Min($Samples, 2))) { continue }
        $files = Get-DataFiles $case.Data
        # The first case also runs in a pwsh with tiered compilation off: what the call costs without the runtime
        # recompiling PowerShell's code on a background thread (see the figure after the table).
        $contenders = @('MlpTools') + @(if ($case -eq $cases[0] -and $case.E -gt 1) { 'NoTiering' }) + @(if ($Compare) { $case.Peers })
        $shift = $sample % $contenders.Count
        $order = @($contenders[$shift..($contenders.Count - 1)]) + $(if ($shift) { @($contenders[0..($shift - 1)]) } else { @() })
        $record = @{}
        foreach ($who in $order) {
            $common = @('--hidden', $case.H, '--batch', $case.B, '--epochs', (1 + $case.K), '--warmup', 1, '--seed', $sample)
            # Ours: the call's time, its fastest epoch, and the methods the runtime compiled on all threads during the
            # call, with their compile time (mostly its background recompiling of PowerShell's hot code, a process's
            # first seconds; at low priority, its compile time includes the time it waits for a core).
            $oursScript = @"
`$d = Import-Dataset $($files.Train)
`$net = `$d | New-Mlp -HiddenSize $($case.H) -Precision $($case.P) -Seed $($sample + 1)
`$j = [System.Runtime.JitInfo]::GetCompilationTime(`$false); `$c = [System.Runtime.JitInfo]::GetCompiledMethodCount(`$false)
`$t = (Measure-Command { `$null = `$net | Invoke-Training -Epochs $($case.E) -BatchSize $($case.B) -LearningRate 0.01 -Momentum 0.9 -Regularization 1e-4 -Seed $($sample + 1) }).TotalSeconds
`$j = ([System.Runtime.JitInfo]::GetCompilationTime(`$false) - `$j).TotalSeconds; `$c = [System.Runtime.JitInfo]::GetCompiledMethodCount(`$false) - `$c
@{ call = `$t; jit = `$j; methods = `$c; epochs = @(`$net.History | ForEach-Object Seconds) } | ConvertTo-Json -Compress
"@
            switch ($who) {
                'MlpTools' {
                    $r = Invoke-Ours $oursScript
                    $record.MlpTools = $r.call / $case.E
                    $record.Engine = ($r.epochs | Measure-Object -Minimum).Minimum
                    $record.Jit = $r.jit
                    $record.Methods = $r.methods
                }
                'NoTiering' {
                    $r = Invoke-Ours $oursScript -NoTiering
                    $record.NoTiering = $r.call / $case.E
                }
                'numpy' {
                    $p = Invoke-Peer 'mlp_numpy.py' ($common + @('--dtype', $(if ($case.P -eq 'Double') { 'float64' } else { 'float32' }))) $case.Data
                    if ($p) { $record.numpy = $p.epoch_s.median }
                }
                'torch' {
                    $p = Invoke-Peer 'mlp_torch.py' ($common + @('--threads', [Environment]::ProcessorCount)) $case.Data
                    if ($p) { $record.torch = $p.epoch_s.median }
                }
                'sklearn' {
                    $p = Invoke-Peer 'mlp_sklearn.py' @('--mode', 'epoch', '--hidden', $case.H, '--batch', $case.B, '--epochs', (1 + $case.K), '--warmup', 1, '--seed', $sample) $case.Data
                    if ($p) { $record.sklearn = $p.epoch_s.median }
                }
            }
        }
        if (-not $results.ContainsKey($case.Name)) { $results[$case.Name] = [Collections.Generic.List[hashtable]]::new() }
        $results[$case.Name].Add($record)
        $line = ($order | Where-Object { $record.ContainsKey($_) } | ForEach-Object { '{0} {1:N3}' -f $_, $record[$_] }) -join ', '
        Write-Host ("   sample {0} {1}: {2} s/epoch (MlpTools' fastest epoch {3:N3} s; the runtime compiled {5:N0} methods during its call, {4:N2} s of compile time)" -f ($sample + 1), $case.Name, $line, $record.Engine, $record.Jit, $record.Methods)
    }
}

Write-Host ''
Write-Host ('  {0,-52} {1,9} {2,-24} {3,-19} {4,-19} {5,-19}' -f 'path', 'ours s/ep', 'call / best peer', 'epoch / best peer', 'call x FLOP limit', 'epoch x FLOP limit')
foreach ($case in $cases) {
    $list = $results[$case.Name]
    $ours = Get-Stats ($list | ForEach-Object { $_.MlpTools })
    $ratios = @($list | ForEach-Object {
            $r = $_
            $peers = @($case.Peers | Where-Object { $r.ContainsKey($_) } | ForEach-Object { $r[$_] })
            if ($peers) { $r.MlpTools / ($peers | Measure-Object -Minimum).Minimum }
        })
    $ratio = if ($ratios) { Get-Stats $ratios } else { $null }
    $flops = 2.0 * $case.N * (2.0 * $case.D * $case.H + 3.0 * $case.H * 10)
    $peak = if ($case.P -eq 'Double') { $Peak64 } else { $Peak32 }
    $limit = if ($peak -gt 0) { $flops / ($peak * 1e9) } else { 0 }
    $callLimit = if ($limit) { Get-Stats ($list | ForEach-Object { $_.MlpTools / $limit }) } else { $null }
    $engineLimit = if ($limit) { Get-Stats ($list | ForEach-Object { $_.Engine / $limit }) } else { $null }
    $bestPeer = ($case.Peers | Where-Object { $p = $_; $list | Where-Object { $_.ContainsKey($p) } } | ForEach-Object {
            $p = $_; [pscustomobject]@{ Peer = $p; Median = (Get-Stats ($list | Where-Object { $_.ContainsKey($p) } | ForEach-Object { $_[$p] })).Median } } |
        Sort-Object Median | Select-Object -First 1)
    $ratioText = if ($ratio) { "$(Format-Stats $ratio) $($bestPeer.Peer)" } else { '' }
    # The fastest epoch of our call against the same peers: the engine's speed without the call's fixed costs.
    $engineRatios = @($list | ForEach-Object {
            $r = $_
            $peers = @($case.Peers | Where-Object { $r.ContainsKey($_) } | ForEach-Object { $r[$_] })
            if ($peers) { $r.Engine / ($peers | Measure-Object -Minimum).Minimum }
        })
    $engineText = if ($engineRatios) { Format-Stats (Get-Stats $engineRatios) } else { '' }
    Write-Host ('  {0,-52} {1,9:N3} {2,-24} {3,-19} {4,-19} {5,-19}' -f $case.Name, $ours.Median, $ratioText, $engineText, (Format-Stats $callLimit), (Format-Stats $engineLimit))
    $peerMedians = @{}
    foreach ($p in $case.Peers) { $v = @($list | Where-Object { $_.ContainsKey($p) } | ForEach-Object { $_[$p] }); if ($v) { $peerMedians[$p] = (Get-Stats $v).Median } }
    [pscustomobject]@{ bench = 'user_call'; name = $case.Name; hidden = $case.H; batch = $case.B; epochs = $case.E; precision = $case.P; ours_s_per_epoch = $ours.Median;
        ratio = $ratio; peers = $peerMedians; flop_limit_s = $limit; call_over_limit = $callLimit; engine_over_limit = $engineLimit } | ConvertTo-Json -Compress -Depth 4 | Write-Verbose
}
# The 1-epoch call against one epoch of the 10-epoch call, sample by sample.
$one = $results['784-100-10, batch 200, 1-epoch call']; $ten = $results['784-100-10, batch 200, 10-epoch call']
if ($one -and $ten) {
    $perCall = Get-Stats (0..($one.Count - 1) | ForEach-Object { $one[$_].MlpTools / $ten[$_].MlpTools })
    Write-Host ("  1-epoch call / one epoch of the 10-epoch call (784-100-10, batch 200), each the first call of a fresh pwsh: {0}" -f (Format-Stats $perCall))
    # The same in one session after a first call (a script's second training, an interactive session): the call's own
    # fixed costs, without the process's first-use costs (the runtime compiling the host's and our code, first touches).
    $files = Get-DataFiles $fashionFolder
    $warm = foreach ($sample in 0..($one.Count - 1)) {
        Invoke-Ours @"
`$d = Import-Dataset $($files.Train)
`$train = { param(`$epochs) `$net = `$d | New-Mlp -HiddenSize 100 -Seed 1; (Measure-Command { `$null = `$net | Invoke-Training -Epochs `$epochs -BatchSize 200 -LearningRate 0.01 -Momentum 0.9 -Regularization 1e-4 -Seed 1 }).TotalSeconds / `$epochs }
`$null = & `$train 1
`$first, `$second = if ($sample % 2) { (& `$train 10), (& `$train 1) } else { `$o = & `$train 1; (& `$train 10), `$o }
@{ ten = `$first; one = `$second } | ConvertTo-Json -Compress
"@
    }
    $warmRatio = Get-Stats ($warm | ForEach-Object { $_.one / $_.ten })
    Write-Host ("  the same, a second and third call of one session (after a first call): {0}" -f (Format-Stats $warmRatio))
}
# The runtime's share of a fresh process's first call. In its first seconds the .NET runtime recompiles the host's hot
# code (PowerShell's parser, binder and pipeline) optimized, on a background thread that would take one of the cores
# from the training for a few epochs; the training sets that thread to the lowest priority (Linux), so most of the work
# waits for the call to end. The same call in a pwsh with tiered compilation off (every method compiled optimized at
# once, so nothing is recompiled later) shows what the call costs without any of it.
$first = $results[$cases[0].Name]
if ($first -and $first[0].ContainsKey('NoTiering')) {
    $jit = Get-Stats ($first | ForEach-Object { $_.Jit })
    $methods = Get-Stats ($first | ForEach-Object { $_.Methods })
    $off = Get-Stats ($first | ForEach-Object { $_.NoTiering })
    $offRatios = @($first | ForEach-Object {
            $r = $_
            $peers = @($cases[0].Peers | Where-Object { $r.ContainsKey($_) } | ForEach-Object { $r[$_] })
            if ($peers) { $r.NoTiering / ($peers | Measure-Object -Minimum).Minimum }
        })
    $offText = if ($offRatios) { "; against the best peer $(Format-Stats (Get-Stats $offRatios))" } else { '' }
    Write-Host ("  {0}: the runtime compiled {1} methods during the call (all threads), {2} of compile time;" -f $cases[0].Name, (Format-Stats $methods 'N0' ''), (Format-Stats $jit 'N2' ' s'))
    Write-Host ("    in a pwsh with tiered compilation off: {0} per epoch, {1} the default call{2}" -f (Format-Stats $off 'N3' ' s'), (Format-Stats (Get-Stats ($first | ForEach-Object { $_.NoTiering / $_.MlpTools }))), $offText)
}
Write-Host ''

# ---------------------------------------------------------------- prediction
if (-not $NoPrediction) {
$testFiles = Get-DataFiles $fashionFolder
$csv = Join-Path $work 'test10k.csv'
$predictions = foreach ($sample in 0..([Math]::Max(1, $Samples) - 1)) {
    $ours = Invoke-Ours @"
`$test = Import-Dataset $($testFiles.Test)
`$net = `$test | New-Mlp -HiddenSize 100 -Seed 1
if (-not (Test-Path -LiteralPath '$csv')) { `$test | Export-Dataset -LiteralPath '$csv' }
`$null = Invoke-MlpPrediction -Network `$net -Dataset `$test
`$dataset = (1..7 | ForEach-Object { (Measure-Command { `$null = Invoke-MlpPrediction -Network `$net -Dataset `$test }).TotalSeconds } | Measure-Object -Minimum).Minimum
`$null = Import-Csv -LiteralPath '$csv' | Select-Object -First 10 | Invoke-MlpPrediction -Network `$net
`$read = (1..3 | ForEach-Object { (Measure-Command { `$null = Import-Csv -LiteralPath '$csv' }).TotalSeconds } | Measure-Object -Minimum).Minimum
`$piped = (1..3 | ForEach-Object { (Measure-Command { `$null = Import-Csv -LiteralPath '$csv' | Invoke-MlpPrediction -Network `$net }).TotalSeconds } | Measure-Object -Minimum).Minimum
@{ dataset = `$dataset; read = `$read; piped = `$piped } | ConvertTo-Json -Compress
"@
    $numpy = if ($Compare) { Invoke-Peer 'mlp_numpy.py' @('--hidden', 100, '--epochs', 1, '--warmup', 0, '--predict', 10000) $fashionFolder }
    [pscustomobject]@{ Dataset = $ours.dataset; Read = $ours.read; Piped = $ours.piped; Numpy = $(if ($numpy) { $numpy.predict_s } else { $null }) }
}
$ds = Get-Stats ($predictions | ForEach-Object Dataset)
Write-Host ("== prediction, 784-100-10 on 10,000 samples (best of 7 calls, {0} sample(s))" -f @($predictions).Count)
if ($Compare -and @($predictions | Where-Object Numpy)) {
    $speed = Get-Stats ($predictions | Where-Object Numpy | ForEach-Object { $_.Numpy / $_.Dataset })
    Write-Host ("  Invoke-MlpPrediction -Dataset: {0:N4} s; numpy forward pass {1:N4} s; throughput {2} numpy's" -f $ds.Median, (Get-Stats ($predictions | Where-Object Numpy | ForEach-Object Numpy)).Median, (Format-Stats $speed))
}
else { Write-Host ("  Invoke-MlpPrediction -Dataset: {0:N4} s" -f $ds.Median) }
$pipe = Get-Stats ($predictions | ForEach-Object { $_.Piped / $_.Read })
Write-Host ("  10,000 Import-Csv objects: Import-Csv alone {0:N3} s, piped to Invoke-MlpPrediction {1:N3} s: {2} Import-Csv alone" -f (Get-Stats ($predictions | ForEach-Object Read)).Median, (Get-Stats ($predictions | ForEach-Object Piped)).Median, (Format-Stats $pipe))
Write-Host ''

# ---------------------------------------------------------------- memory
Write-Host '== memory: peak RSS of Import-Dataset + a 1-epoch Invoke-Training (784-100-10), over pwsh with the module imported'
function Measure-PeakKiB([string] $Command) { Measure-PeakMemory ($Pwsh + $Command) }
$base = Measure-PeakKiB "Import-Module '$ModulePath'"
foreach ($times in 1, 4, 16) {
    if ($Quick -and $times -gt 4) { continue }
    $folder = New-DataFolder "memory-$times" (60000 * $times) @(28, 28)
    $files = Get-DataFiles $folder
    $peak = Measure-PeakKiB "Import-Module '$ModulePath'; `$d = Import-Dataset $($files.Train); `$null = `$d | New-Mlp -HiddenSize 100 -Seed 1 | Invoke-Training -Epochs 1 -BatchSize 200 -Seed 1"
    $dataMiB = 60000.0 * $times * 784 * 4 / 1MB
    Write-Host ("  {0,2}x ({1,7:N0} samples): {2,6:N0} MiB over a {3:N0} MiB baseline; float32 data {4,6:N0} MiB: {5:N2}x" -f $times, (60000 * $times), (($peak - $base) / 1KB), ($base / 1KB), $dataMiB, (($peak - $base) / 1KB / $dataMiB))
    Remove-Item -LiteralPath $folder -Recurse -Force
}
Write-Host ''
}
}
finally { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore }
