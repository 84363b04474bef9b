BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.ExportMlpCommand" }

    $spiral = Import-Dataset -Name Spiral -Seed 1
    $net = $spiral | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 5 -Seed 1
    $net.Preprocessor = [MlpTools.Core.Data.Preprocessor]::Fit($spiral, 'MinMax')
    $double = $spiral | New-Mlp -HiddenSize 16 -Seed 2 -Precision Double | Invoke-Training -Epochs 5 -Momentum 0.9 -Seed 1

    # The parameters as one flat array of doubles, W1 b1 W2 b2.
    function Get-ParameterValues($Network) {
        , [double[]]@($Network.W1.ToColumnMajorArray() + $Network.b1.ToArray() + $Network.W2.ToColumnMajorArray() + $Network.b2.ToArray())
    }
}

Describe 'Export-Mlp' {
    Context 'Round trip' {
        It 'saves a <Precision> network that Import-Mlp gives back bit for bit: parameters, names, history, predictions' -TestCases @(
            @{ Precision = 'Single' }, @{ Precision = 'Double' }
        ) {
            $original = if ($Precision -eq 'Single') { $net } else { $double }
            $file = Join-Path $TestDrive "round-trip-$Precision.safetensors"
            $output = Export-Mlp -Network $original -Path $file
            $output | Should -BeNullOrEmpty
            $loaded = Import-Mlp -Path $file

            $loaded.Precision | Should -Be $Precision
            $loaded.W1.GetType() | Should -Be $original.W1.GetType()
            [Linq.Enumerable]::SequenceEqual((Get-ParameterValues $loaded), (Get-ParameterValues $original)) | Should -BeTrue
            $loaded.ClassNames | Should -Be $original.ClassNames
            $loaded.FeatureNames | Should -Be $original.FeatureNames
            $loaded.History.Loss | Should -Be $original.History.Loss
            $loaded.Dataset | Should -BeNullOrEmpty   # data is never saved
            if ($original.Preprocessor) { $loaded.Preprocessor.Offsets | Should -Be $original.Preprocessor.Offsets }

            $before = Invoke-MlpPrediction -Network $original -Dataset $spiral
            $after = Invoke-MlpPrediction -Network $loaded -Dataset $spiral
            [Linq.Enumerable]::SequenceEqual([double[]]@($after.Probabilities), [double[]]@($before.Probabilities)) | Should -BeTrue
        }

        It 'takes the network from the pipeline and the path by position' {
            $file = Join-Path $TestDrive 'piped.safetensors'
            $net | Export-Mlp $file
            (Import-Mlp $file).ParameterCount | Should -Be $net.ParameterCount
        }

        It 'resolves a relative path against the PowerShell location, and PowerShell drives' {
            Push-Location $TestDrive
            try {
                Export-Mlp -Network $net -Path 'relative.safetensors'
                Test-Path -LiteralPath (Join-Path $TestDrive 'relative.safetensors') | Should -BeTrue
            }
            finally { Pop-Location }
            Export-Mlp -Network $net -Path 'TestDrive:/drive.safetensors'
            Test-Path -LiteralPath (Join-Path $TestDrive 'drive.safetensors') | Should -BeTrue
        }

        It 'writes a file whose name has wildcard characters with -LiteralPath' {
            $file = Join-Path $TestDrive 'model[1].safetensors'
            Export-Mlp -Network $net -LiteralPath $file
            (Import-Mlp -LiteralPath $file).ParameterCount | Should -Be $net.ParameterCount
        }
    }

    Context 'Replacing, -WhatIf and -Confirm' {
        It 'refuses to replace a file without -Force (ModelFileExists) and leaves it as it was' {
            $file = Join-Path $TestDrive 'exists.safetensors'
            Export-Mlp -Network $net -Path $file
            $bytes = [IO.File]::ReadAllBytes($file)
            $err = { Export-Mlp -Network $double -Path $file } | Should -Throw -ErrorId (Get-Id ModelFileExists) -PassThru
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ResourceExists)
            $err.Exception.Message | Should -Match ([regex]::Escape($file))
            $err.Exception.Message | Should -Match '-Force'
            $err.Exception.Message | Should -Match 'Export-Mlp -Force replaces it\.$'
            $err.Exception.InnerException.Message | Should -Not -Match 'Export-Mlp|-Force'
            [Linq.Enumerable]::SequenceEqual([IO.File]::ReadAllBytes($file), $bytes) | Should -BeTrue
        }

        It 'replaces it with -Force, leaving no temporary file behind' {
            $dir = Join-Path $TestDrive 'force'
            $null = New-Item -ItemType Directory -Path $dir
            $file = Join-Path $dir 'model.safetensors'
            Export-Mlp -Network $net -Path $file
            Export-Mlp -Network $double -Path $file -Force
            (Import-Mlp -Path $file).Precision | Should -Be 'Double'
            @(Get-ChildItem -LiteralPath $dir -Force).Name | Should -Be @('model.safetensors')
        }

        It 'writes nothing with -WhatIf' {
            $file = Join-Path $TestDrive 'whatif.safetensors'
            $ps = [powershell]::Create()   # a runspace without a host, so the "What if" line is not printed among test results
            try {
                $null = $ps.AddScript('param($m, $n, $f) Import-Module $m; Export-Mlp -Network $n -Path $f -WhatIf').
                    AddArgument($env:MLPTOOLS_MODULE_PATH).AddArgument($net).AddArgument($file)
                $null = $ps.Invoke()
                $ps.Streams.Error | Should -BeNullOrEmpty
            }
            finally { $ps.Dispose() }
            Test-Path -LiteralPath $file | Should -BeFalse
        }

        It 'supports -Confirm (ShouldProcess) with a medium impact' {
            $cmd = Get-Command Export-Mlp
            $cmd.Parameters.Keys | Should -Contain 'WhatIf'
            $cmd.Parameters.Keys | Should -Contain 'Confirm'
            $cmd.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false).ConfirmImpact | Should -Be 'Medium'
            $file = Join-Path $TestDrive 'confirmed.safetensors'
            Export-Mlp -Network $net -Path $file -Confirm:$false
            Test-Path -LiteralPath $file | Should -BeTrue
        }
    }

    Context 'Concurrent writers' {
        It 'gives each new path to exactly one of two processes racing to it without -Force; the other gets ModelFileExists' {
            # The end-to-end check: real processes, the real cmdlet, rounds aligned to within a millisecond or so. The
            # engine's ConcurrentWriterTests align the publishing steps exactly, and so catch a racy publish every run.
            $rounds = 200
            $dir = Join-Path $TestDrive 'race'
            $marks = Join-Path $TestDrive 'race-marks'
            $null = New-Item -ItemType Directory -Path $dir, $marks
            $writer = {
                param($Dir, $Marks, $Who, $Rounds)
                $net = New-Mlp -InputSize 2 -HiddenSize 3 -ClassCount 2 -Seed $Who
                $other = 1 - $Who
                for ($i = 0; $i -lt $Rounds; $i++) {
                    # Both processes start each round together: each marks its arrival, then waits for the other's mark.
                    [IO.File]::Create((Join-Path $Marks "$i-$Who")).Dispose()
                    while (-not [IO.File]::Exists((Join-Path $Marks "$i-$other"))) { [Threading.Thread]::Sleep(0) }
                    try {
                        Export-Mlp -Network $net -LiteralPath (Join-Path $Dir "$i.safetensors")
                        'won'
                    }
                    catch { $_.FullyQualifiedErrorId -replace ',.*' }
                }
            }
            $children = @(0, 1 | ForEach-Object { Start-FreshPwsh $writer -ArgumentList $dir, $marks, $_, $rounds })
            $results = @($children | ForEach-Object { Wait-FreshPwsh -Child $_ -TimeoutSeconds 120 })
            $results | ForEach-Object { $_.ExitCode | Should -Be 0 -Because $_.StdErr }

            # The bytes each writer's network gives, written here.
            $expected = @(0, 1 | ForEach-Object {
                    $file = Join-Path $TestDrive "race-expected-$_.safetensors"
                    New-Mlp -InputSize 2 -HiddenSize 3 -ClassCount 2 -Seed $_ | Export-Mlp -LiteralPath $file
                    , [IO.File]::ReadAllBytes($file)
                })
            $wrong = @(for ($i = 0; $i -lt $rounds; $i++) {
                    $a, $b = $results[0].Output[$i], $results[1].Output[$i]
                    $winner = if ($a -eq 'won' -and $b -eq 'ModelFileExists') { 0 } elseif ($a -eq 'ModelFileExists' -and $b -eq 'won') { 1 } else { -1 }
                    if ($winner -lt 0 -or -not [Linq.Enumerable]::SequenceEqual([IO.File]::ReadAllBytes((Join-Path $dir "$i.safetensors")), $expected[$winner])) {
                        "round ${i}: $a / $b"
                    }
                })
            $wrong | Should -BeNullOrEmpty -Because "every round must have exactly one winner, whose file is on disk ($($wrong.Count) of $rounds did not)"
            @(Get-ChildItem -LiteralPath $dir -Force).Count | Should -Be $rounds   # no temporary file is left
        }

        It 'removes the temporary file of an export that was killed on the next export to that path, and nothing else' {
            $dir = Join-Path $TestDrive 'killed'
            $null = New-Item -ItemType Directory -Path $dir
            $file = Join-Path $dir 'big.safetensors'
            $notOurs = Join-Path $dir '.big.safetensors.mlptools-notes.tmp'
            Set-Content -LiteralPath $notOurs -Value 'a file of the user''s whose name only looks like ours'
            # A fresh pwsh exports a large network again and again, and is killed while it writes a temporary file.
            $isTemporary = { $_.Name -like '.big.safetensors.*.tmp' -and $_.FullName -ne $notOurs }
            $orphan = $null
            for ($attempt = 1; -not $orphan -and $attempt -le 3; $attempt++) {
                $child = Start-FreshPwsh -ArgumentList $file {
                    param($Path)
                    $big = New-Mlp -InputSize 784 -HiddenSize 8000 -ClassCount 10 -Seed 1   # 25 MB: a write takes a while
                    while ($true) { Export-Mlp -Network $big -LiteralPath $Path -Force }
                }
                try {
                    $deadline = [DateTime]::UtcNow.AddSeconds(30)
                    while (-not (Get-ChildItem -LiteralPath $dir -Force | Where-Object $isTemporary) -and [DateTime]::UtcNow -lt $deadline) { }
                    $child.Process.Kill()
                }
                finally { $null = Wait-FreshPwsh -Child $child -TimeoutSeconds 30 }
                $orphan = Get-ChildItem -LiteralPath $dir -Force | Where-Object $isTemporary
            }
            $orphan | Should -Not -BeNullOrEmpty -Because 'the killed export leaves its temporary file'
            $orphan.Name | Should -Match '^\.big\.safetensors\.mlptools-\d+-[0-9a-f]{8}-[0-9a-f]{16}\.tmp$'
            # The same writer's file for another target is not this target's to remove.
            $otherTarget = Copy-Item -LiteralPath $orphan.FullName -Destination (Join-Path $dir ($orphan.Name -replace '^\.big\.', '.other.')) -PassThru
            # A temporary file modified within the last minute could be a live writer's on another machine: age them.
            foreach ($f in $orphan, $otherTarget, (Get-Item -LiteralPath $notOurs -Force)) { $f.LastWriteTimeUtc = [DateTime]::UtcNow.AddMinutes(-5) }

            Export-Mlp -Network $net -LiteralPath $file -Force

            Test-Path -LiteralPath $orphan.FullName | Should -BeFalse
            Test-Path -LiteralPath $notOurs | Should -BeTrue
            Test-Path -LiteralPath $otherTarget.FullName | Should -BeTrue
            (Import-Mlp -LiteralPath $file).ParameterCount | Should -Be $net.ParameterCount
        }
    }

    Context 'Bad paths' {
        It 'reports a missing folder as ModelDirectoryNotFound (ObjectNotFound)' {
            $err = { Export-Mlp -Network $net -Path (Join-Path $TestDrive 'no/such/folder/m.safetensors') } |
                Should -Throw -ErrorId (Get-Id ModelDirectoryNotFound) -PassThru
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'refuses a folder as the file (ModelPathIsDirectory)' {
            { Export-Mlp -Network $net -LiteralPath $TestDrive } | Should -Throw -ErrorId (Get-Id ModelPathIsDirectory)
        }

        It 'refuses a path of another provider (NotAFileSystemPath)' {
            $err = { Export-Mlp -Network $net -Path Env:MLPTOOLS_MODEL } | Should -Throw -ErrorId (Get-Id NotAFileSystemPath) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        }

        It 'refuses a wildcard -Path that matches several files (PathAmbiguous)' {
            $dir = Join-Path $TestDrive 'two'
            $null = New-Item -ItemType Directory -Path $dir
            Export-Mlp -Network $net -Path (Join-Path $dir 'one.safetensors')
            Export-Mlp -Network $net -Path (Join-Path $dir 'two.safetensors')
            { Export-Mlp -Network $net -Path (Join-Path $dir '*.safetensors') } | Should -Throw -ErrorId (Get-Id PathAmbiguous)
        }
    }
}
