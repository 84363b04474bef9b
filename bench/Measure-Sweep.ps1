<#
.SYNOPSIS
Times Invoke-MlpSweep against the foreach loop a user would write, in one pwsh process, paired sample by sample.

.DESCRIPTION
The workload: 12 Digits trials (HiddenSize 32, 64, 128 x LearningRate 0.2, 0.1, 0.05, 0.02; 20 epochs, batch 32),
trained on the same stratified 80% and scored on the other 20%. Each sample times, in an order that rotates from
sample to sample:
  - foreach: New-Mlp | Invoke-Training -ValidationDataset, then Test-Mlp for the score, one trial after the other;
  - Invoke-MlpSweep -ThrottleLimit 2 (two trials at a time, each with its share of the cores);
  - Invoke-MlpSweep -ThrottleLimit 1 (one at a time: the sweep's own cost per trial against the loop's).
It prints each ratio to the foreach loop of the same sample, as a median with its range. Run by bench/Invoke-Bench.ps1;
by hand: dotnet pwsh bench/Measure-Sweep.ps1 -ModulePath output/MlpTools/<version>/MlpTools.psd1.

.PARAMETER ModulePath
The built module's manifest.

.PARAMETER Samples
Paired samples (default 5).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Samples = 5
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module ([IO.Path]::GetFullPath($ModulePath))

$digits = Import-Dataset -Name Digits
$train, $held = Split-Dataset -Dataset $digits -TestFraction 0.2 -Stratify -Seed 1
$hidden = 32, 64, 128
$rates = 0.2, 0.1, 0.05, 0.02
$space = [ordered]@{ HiddenSize = $hidden; LearningRate = $rates }

$runs = @{
    Loop  = {
        $i = 0
        foreach ($h in $hidden) {
            foreach ($lr in $rates) {
                $i++
                $net = New-Mlp -Dataset $train -HiddenSize $h -Seed $i | Invoke-Training -ValidationDataset $held -LearningRate $lr -Seed $i
                $null = Test-Mlp -Network $net -Dataset $held
            }
        }
    }
    Sweep2 = { $null = $train | Invoke-MlpSweep $space -ValidationDataset $held -Seed 1 -ThrottleLimit 2 }
    Sweep1 = { $null = $train | Invoke-MlpSweep $space -ValidationDataset $held -Seed 1 -ThrottleLimit 1 }
}
$order = 'Loop', 'Sweep2', 'Sweep1'
foreach ($name in $order) { & $runs[$name] } # warm-up: JIT, first pools

$seconds = @{ Loop = @(); Sweep2 = @(); Sweep1 = @() }
for ($s = 0; $s -lt $Samples; $s++) {
    foreach ($k in 0..2) {
        $name = $order[($s + $k) % 3]
        [GC]::Collect()
        $seconds[$name] += (Measure-Command { & $runs[$name] }).TotalSeconds
    }
}

function Format-Ratio([double[]] $Ratios) {
    $sorted = $Ratios | Sort-Object
    '{0:N2}x median [{1:N2}-{2:N2}]' -f $sorted[[int][Math]::Floor($sorted.Count / 2)], $sorted[0], $sorted[-1]
}
$loop = $seconds.Loop | Sort-Object
$ratio2 = for ($s = 0; $s -lt $Samples; $s++) { $seconds.Sweep2[$s] / $seconds.Loop[$s] }
$ratio1 = for ($s = 0; $s -lt $Samples; $s++) { $seconds.Sweep1[$s] / $seconds.Loop[$s] }
Write-Host ('sweep: 12 Digits trials (H 32/64/128 x 4 learning rates, 20 epochs), {0} paired samples; foreach loop {1:N2} s median' -f $Samples, $loop[[int][Math]::Floor($Samples / 2)])
Write-Host ('sweep -ThrottleLimit 2 / foreach loop: {0}  (target <= 0.60x)' -f (Format-Ratio $ratio2))
Write-Host ('sweep -ThrottleLimit 1 / foreach loop: {0}  (the sweep''s own cost per trial; target <= 1.05x)' -f (Format-Ratio $ratio1))
