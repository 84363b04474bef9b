BeforeAll {
    if (-not $env:MLPTOOLS_MODULE_PATH) {
        throw 'MLPTOOLS_MODULE_PATH is not set: run the tests through ./build.ps1 -Task Test or tools/Invoke-Pester.ps1.'
    }
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = $env:MLPTOOLS_MODULE_PATH
    $script:Manifest = Import-PowerShellDataFile -LiteralPath $ModulePath
    $script:Module = Import-Module $ModulePath -Force -PassThru
}

Describe 'The MlpTools module' {
    It 'has a valid manifest' {
        { Test-ModuleManifest -Path $ModulePath -ErrorAction Stop } | Should -Not -Throw
    }

    It 'exports exactly the cmdlets its manifest lists' {
        $exported = @($Module.ExportedCmdlets.Keys | Sort-Object) -join ', '
        $exported | Should -Be (@($Manifest.CmdletsToExport | Sort-Object) -join ', ')
    }

    It 'exports no functions, variables or aliases' {
        $Module.ExportedFunctions.Count | Should -Be 0
        $Module.ExportedVariables.Count | Should -Be 0
        $Module.ExportedAliases.Count | Should -Be 0
    }

    It 'installs with build.ps1 -Task Install, after which a fresh pwsh loads it by name on first use' {
        $folder = Join-Path $TestDrive 'modules'
        $pwsh = @(Get-PwshCommand)
        $build = Join-Path $PSScriptRoot '../../build.ps1'
        $said = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File $build -Task Install -ModulePath $folder 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $said
        $version = $Manifest.ModuleVersion
        Test-Path -LiteralPath (Join-Path $folder "MlpTools/$version/MlpTools.psd1") | Should -BeTrue
        $said | Should -Match "Installed MlpTools $([regex]::Escape($version))"
        # No Import-Module: the first cmdlet loads the module from the folder on PSModulePath.
        $result = Invoke-InFreshPwsh -NoModule {
            param($folder)
            $env:PSModulePath = $folder + [IO.Path]::PathSeparator + $env:PSModulePath
            (Import-Dataset -Name Spiral -Seed 1).Count
            (Get-Module MlpTools).ModuleBase
        } -ArgumentList $folder
        $result.ExitCode | Should -Be 0
        $result.Output[0] | Should -Be 300
        $result.Output[1] | Should -BeLike "$folder*"
    }

    It 'imports in a fresh pwsh -NoProfile' {
        $result = Invoke-InFreshPwsh { (Get-Module MlpTools).Version.ToString() }
        $result.StdErr | Should -BeNullOrEmpty
        $result.ExitCode | Should -Be 0
        $result.Output | Should -Be $Manifest.ModuleVersion
    }

    It 'rehearses a first training in the background on import, so a first call compiles next to nothing of its own' {
        # The counter is the runtime's count of methods compiled on the calling thread: work, not time. Without the
        # rehearsal a first 1-epoch training here compiled about 130 methods (PowerShell's binding and adapters for
        # our types, the engine's generic code over the settings), after it 2-5.
        $result = Invoke-InFreshPwsh {
            $ProgressPreference = 'SilentlyContinue'
            $assembly = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'MlpTools' }
            $finished = $assembly.GetType('MlpTools.FirstCallRehearsal', $true).GetProperty('Finished', [Reflection.BindingFlags]'NonPublic,Static')
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            while (-not $finished.GetValue($null) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            $finished.GetValue($null)
            [GC]::CollectionCount(2)
            $runspaces = @(Get-Runspace).Count
            $data = Import-Dataset -Name Digits
            $net = $data | New-Mlp -HiddenSize 16 -Seed 1
            foreach ($call in { $null = $net | Invoke-Training -Epochs 1 -Seed 1 }, { $null = Test-Mlp -Network $net -Dataset $data },
                { $null = Invoke-MlpPrediction -Network $net -Dataset $data }) {
                $before = [System.Runtime.JitInfo]::GetCompiledMethodCount($true)
                & $call
                [System.Runtime.JitInfo]::GetCompiledMethodCount($true) - $before
            }
            $runspaces
        }
        $result.StdErr | Should -BeNullOrEmpty
        $result.ExitCode | Should -Be 0
        $finished, $fullCollections, $training, $evaluation, $prediction, $runspaces = $result.Output
        $finished | Should -BeTrue
        # Run through, it made the session's first full collection (none before it here), so that the first training
        # does not pause for what starting the session left behind.
        $fullCollections | Should -BeGreaterOrEqual 1
        $training | Should -BeLessThan 40
        # The rehearsal's own training does not make it give way before its evaluation and prediction (without them
        # rehearsed, the first Test-Mlp here compiled 7 methods and the first Invoke-MlpPrediction 18; with them, 0-1).
        $evaluation | Should -BeLessThan 5
        $prediction | Should -BeLessThan 5
        # The rehearsal's runspace is closed: the session has its own alone.
        $runspaces | Should -Be 1
    }

    It 'runs its rehearsal of a first call without an error, leaving no runspace behind, and gives way to the session''s own work' {
        $assembly = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'MlpTools' }
        $rehearsal = $assembly.GetType('MlpTools.FirstCallRehearsal', $true)
        $runspaces = @(Get-Runspace).Count
        $run = $rehearsal.GetMethod('Run', [Reflection.BindingFlags]'NonPublic,Static')
        # Once the session has trained, a rehearsal that gives way to the session's own work does not start.
        $null = Import-Dataset -Name Spiral -Seed 1 | New-Mlp -HiddenSize 3 -Seed 1 | Invoke-Training -Epochs 1 -Seed 1
        $fullCollections = [GC]::CollectionCount(2)
        $result = $run.Invoke($null, @((Get-Module MlpTools).ModuleBase, $true))
        $result.Item1 | Should -BeTrue
        @($result.Item2) | Should -BeNullOrEmpty
        # Having given way, it does not collect either: that would pause the session's work.
        [GC]::CollectionCount(2) | Should -Be $fullCollections
        # Run regardless, it goes through every step without an error.
        $result = $run.Invoke($null, @((Get-Module MlpTools).ModuleBase, $false))
        $result.Item1 | Should -BeFalse
        @($result.Item2) | Should -BeNullOrEmpty
        @(Get-Runspace).Count | Should -Be $runspaces
        # What it runs is the commands a first training uses, each of them exported.
        $steps = $rehearsal.GetField('Steps', [Reflection.BindingFlags]'NonPublic,Static').GetValue($null) -join "`n"
        foreach ($entry in $rehearsal.GetField('Commands', [Reflection.BindingFlags]'NonPublic,Static').GetValue($null)) {
            $Manifest.CmdletsToExport | Should -Contain $entry.Item1
            $steps | Should -Match ([regex]::Escape($entry.Item1))
        }
    }

    It 'has an about_MlpTools topic with the derivation and how to read the diagnostics, naming only cmdlets it exports' {
        $result = Invoke-InFreshPwsh { Get-Help about_MlpTools | Out-String -Width 120 }
        $result.ExitCode | Should -Be 0
        $text = $result.Output -join "`n"
        $text | Should -Match 'lambda / \(2m\)'
        $text | Should -Match 'm is the number of samples the loss is taken over'
        $text | Should -Match 'UpdateRatio'
        $text | Should -Match 'DeadUnitShare'
        $named = [regex]::Matches($text, '\b(?:Import|Export|New|Invoke|Test|Get|Show|Split|ConvertTo)-(?:Mlp|Dataset|Training)\w*') | ForEach-Object Value | Sort-Object -Unique
        $exported = (Get-Command -Module MlpTools).Name
        @($named | Where-Object { $_ -notin $exported }) | Should -BeNullOrEmpty
    }
}
